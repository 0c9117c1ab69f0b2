import { describe, type ExpectStatic, expect, test } from 'vitest';
import { Database } from '../../../src/db/database.js';
import { baselineStep } from '../../../src/steps/baseline.js';
import { functionName } from '../../../src/steps/shared/functionName.js';
import { evaluate } from '../../../src/steps/monitor/criteria.js';
import { unmeasuredCriteria } from '../../../src/steps/monitor/unmeasured.js';
import { functionNotMeasured, type Sample } from '../../../src/metrics/sample.js';
import { monitorStep } from '../../../src/steps/monitor.js';
import { causeDeadlock } from '../../support/deadlock.js';
import { untilLockWaiters } from '../../support/lockWaits.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

const organizationId = '00000000-0000-0000-0000-000000000001';
const fn = 'public.atomic_update_user_behavior';

let calls = 0;
const callFunction = async (harness: StepHarness, times: number) => {
  for (let i = 0; i < times; i++) {
    await harness.database.db.query('select public.atomic_update_user_behavior($1, $2, $3, null, $4::jsonb)', [
      organizationId,
      'twitter',
      'monitored',
      JSON.stringify({ severity: 'low', toxicity_score: 0.1, comment_id: `c${++calls}`, action_tags: [] }),
    ]);
  }
};

/** The monitor took its first sample: what happens from now on is inside its window. `expect`: the test's own (concurrent tests). */
const windowStarted = (harness: StepHarness, expect: ExpectStatic) =>
  expect
    .poll(() => harness.progress.some((p) => p.startsWith('watching for')), { timeout: 10_000, interval: 50 })
    .toBe(true);

/**
 * A harness of the test's own (database, run dir, progress): the tests run concurrently, most
 * of each is waiting on a window, and the figures they judge (deadlocks, function calls, lock
 * waits) are per database.
 */
// vitest reads what a fixture depends on from its first parameter's pattern: nothing here.
const it = test.extend('harness', async ({}, { onCleanup }) => {
  const harness = await stepHarness();
  onCleanup(() => harness.close());
  await harness.database.db.query("insert into public.organizations (id, name) values ($1, 'monitored org')", [
    organizationId,
  ]);
  return harness;
});

describe.concurrent('baseline and monitor steps', () => {
  it('baseline records the counters, and function calls once the function has been called', async ({
    harness,
    expect,
  }) => {
    await callFunction(harness, 3);
    // Backends flush their statistics about once a second: wait until the calls show.
    await expect
      .poll(
        async () =>
          (
            await harness.database.db.query<{ calls: string | null }>(
              "select sum(calls) as calls from pg_stat_user_functions where funcname = 'atomic_update_user_behavior'",
            )
          ).rows[0]!.calls,
        { timeout: 10_000, interval: 200 },
      )
      .toBe('3');
    const outcome = await harness.run(baselineStep, { function: fn, window: '300ms' });
    expect(outcome.status).toBe('passed');
    expect(outcome.metrics).toMatchObject({ deadlocks: 0, function_calls: 3, window_deadlocks: 0 });
    expect(outcome.metrics!.function_mean_exec_ms).toBeGreaterThan(0);
    expect(outcome.observed).toMatchObject({ track_functions: 'pl' });
  });

  it('baseline before the migration: the function is recorded as not measured, not as a failure', async ({
    harness,
    expect,
  }) => {
    const outcome = await harness.run(baselineStep, { function: 'public.not_deployed_yet' });
    expect(outcome.status).toBe('passed');
    expect(outcome.observed).toMatchObject({ function_not_measured: 'public.not_deployed_yet does not exist' });
    expect(outcome.metrics).not.toHaveProperty('function_calls');
  });

  it('monitor passes a quiet window, recording every sample', async ({ harness, expect }) => {
    const outcome = await harness.run(monitorStep, {
      duration: '1s',
      interval: '250ms',
      function: fn,
      criteria: { max_deadlocks: 0, max_mean_exec_ms: 1000, max_lock_waits: 5, max_function_error_rate: 0.01 },
    });
    expect(outcome.status, outcome.message).toBe('passed');
    expect(outcome.message).toMatch(
      /^no criterion breached in 1s \(\d samples\) \(not measured: max_function_error_rate, max_mean_exec_ms\); benchmark: \d of \d targets met$/,
    );
    const observed = outcome.observed as {
      sample_count: number;
      samples: unknown[];
      unmeasured: { criterion: string }[];
    };
    expect(observed.sample_count).toBeGreaterThanOrEqual(3);
    expect(observed.samples).toHaveLength(observed.sample_count);
    expect(harness.progress.filter((p) => /deadlocks 0/.test(p))).toHaveLength(observed.sample_count);
    expect(harness.progress[0]).toMatch(/^max_function_error_rate: not measured/);
    expect(outcome.evidence?.[0]?.path).toMatch(/samples\.json$/);
  });

  it('monitor fails as soon as a deadlock happens, naming the criterion and the value', async ({ harness, expect }) => {
    const monitoring = harness.run(monitorStep, { duration: '30s', interval: '200ms', criteria: { max_deadlocks: 0 } });
    await windowStarted(harness, expect);
    await causeDeadlock(harness.database.url);
    const outcome = await monitoring;
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/^max_deadlocks breached: deadlocks 1 > 0 after [\d.]+m?s$/);
    expect((outcome.observed as { window_ms: number }).window_ms).toBeLessThan(15_000);
  });

  it('max_table_lock_waits counts waiters on the watched table only: a wait elsewhere passes, a row-lock wait on user_behaviors fails', async ({
    harness,
    expect,
  }) => {
    await callFunction(harness, 1);
    const watchTable = (duration: string) =>
      harness.run(monitorStep, {
        duration,
        interval: '200ms',
        lock_table: 'public.user_behaviors',
        criteria: { max_table_lock_waits: 0 },
      });
    const elsewhere = await holdRowLockWithWaiter(
      harness.database.url,
      'create table if not exists unrelated_lock (id int primary key); insert into unrelated_lock values (1) on conflict do nothing',
      'update unrelated_lock set id = id where id = 1',
    );
    try {
      const quiet = await watchTable('1s');
      expect(quiet.status, quiet.message).toBe('passed');
      expect(quiet.metrics).toMatchObject({ table_lock_waits_max: 0 });
      expect(quiet.metrics!.lock_waits_max).toBeGreaterThanOrEqual(1);
    } finally {
      await elsewhere.release();
    }

    const onTable = await holdRowLockWithWaiter(
      harness.database.url,
      'select 1',
      "update public.user_behaviors set updated_at = now() where platform_user_id = 'monitored'",
    );
    try {
      const contended = await watchTable('10s');
      expect(contended.status).toBe('failed');
      expect(contended.message).toMatch(/^max_table_lock_waits breached: lock waits on the table 1 > 0 after /);
    } finally {
      await onTable.release();
    }
  });

  it('max_degradation: function calls much slower than in the baseline fail the window, naming both means', async ({
    harness,
    expect,
  }) => {
    // One connection, its statistics flushed after each burst: an idle backend would hold them back for up to 10 s.
    const caller = Database.connect(harness.database.url, { max: 1 });
    const burst = async (times: number) => {
      for (let i = 0; i < times; i++) {
        await caller.query('select public.atomic_update_user_behavior($1, $2, $3, null, $4::jsonb)', [
          organizationId,
          'twitter',
          'degraded',
          JSON.stringify({ severity: 'low', toxicity_score: 0.1, comment_id: `d${++calls}`, action_tags: [] }),
        ]);
      }
      await caller.query('select pg_stat_force_next_flush()');
    };
    try {
      await burst(1); // the row exists, so the slow call below waits on its lock
      const baselineWindow = harness.run(baselineStep, { function: fn, window: '2s' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await burst(25);
      const baseline = await baselineWindow;
      expect(baseline.metrics!.window_function_calls, JSON.stringify(baseline.metrics)).toBe(25);

      harness.progress.length = 0;
      const monitoring = harness.run(
        monitorStep,
        { duration: '15s', interval: '250ms', function: fn, baseline: 'baseline', criteria: { max_degradation: 0.2 } },
        { outcomes: { baseline } },
      );
      await windowStarted(harness, expect);
      // The first call waits 600 ms for the row's lock: 25 calls then average over 20 ms, far above the baseline.
      const holder = await holdRowLock(
        harness.database.url,
        "update public.user_behaviors set updated_at = now() where platform_user_id = 'degraded'",
      );
      const slowCalls = burst(25);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await holder.release();
      await slowCalls;
      const outcome = await monitoring;
      expect(outcome.status, outcome.message).toBe('failed');
      expect(outcome.message).toMatch(
        /^max_degradation breached: degradation vs baseline [\d.]+ > 0\.2 \(function mean execution time [\d.]+ ms vs baseline [\d.]+ ms\)/,
      );
    } finally {
      await caller.close();
    }
  });

  it('monitor fails when the mean execution time goes over the limit', async ({ harness, expect }) => {
    const monitoring = harness.run(monitorStep, {
      duration: '20s',
      interval: '250ms',
      function: fn,
      criteria: { max_mean_exec_ms: 0.0001 },
    });
    await windowStarted(harness, expect);
    await callFunction(harness, 5);
    const outcome = await monitoring;
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/^max_mean_exec_ms breached: mean execution time \(ms\) [\d.]+ > 0\.0001/);
  });

  it('judges the rollback rate only over enough transactions', () => {
    const db = {
      elapsedMs: 1000,
      deadlocks: 0,
      commits: 4,
      rollbacks: 1,
      rollbackRate: 0.2,
      functionCalls: null,
      meanExecMs: null,
      lockWaits: 0,
      tableLockWaits: null,
      serverRestarts: 0,
    };
    const breaches = (figures: typeof db) =>
      evaluate({ max_rollback_rate: 0.1 }, { db: figures, app: null, baseline: null }).breaches;
    expect(breaches(db)).toEqual([]);
    expect(breaches({ ...db, commits: 16, rollbacks: 4 })).toEqual([
      { criterion: 'max_rollback_rate', limit: 0.1, value: 0.2 },
    ]);
  });

  it("says why a criterion is not measured (track_functions = 'none', missing function)", () => {
    const sample: Sample = {
      at: new Date().toISOString(),
      deadlocks: 0,
      xactCommit: 0,
      xactRollback: 0,
      trackFunctions: 'none',
      functionExists: true,
      functionCalls: null,
      functionTotalMs: null,
      lockWaits: 0,
      tableLockWaits: null,
      statsReset: null,
      serverStartedAt: new Date().toISOString(),
      sharedStatsReset: null,
    };
    const name = functionName.parse(fn);
    expect(unmeasuredCriteria({ max_mean_exec_ms: 15 }, { function: functionNotMeasured(sample, name) })).toEqual([
      { criterion: 'max_mean_exec_ms', reason: expect.stringContaining("track_functions is 'none'") },
    ]);
  });

  it('monitor stops with "interrupted" when the run is aborted', async ({ harness, expect }) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expect(
      harness.run(
        monitorStep,
        { duration: '1m', interval: '100ms', criteria: { max_deadlocks: 0 } },
        { signal: controller.signal },
      ),
    ).rejects.toThrow(/interrupted by the operator while monitoring/);
  });

  it('rejects bad specs', () => {
    for (const [spec, words] of [
      [{ interval: '1s', criteria: { max_deadlocks: 0 } }, 'duration'],
      [{ duration: '10 minutes', criteria: { max_deadlocks: 0 } }, 'duration must look like'],
      [{ duration: '10s', interval: '1m', criteria: { max_deadlocks: 0 } }, 'interval is longer than duration'],
      [{ duration: '10s', criteria: {} }, 'criteria names no criterion'],
      [{ duration: '10s', criteria: { max_deadlock: 0 } }, 'max_deadlock'],
      [{ duration: '10s', criteria: { max_function_error_rate: 5 } }, 'max_function_error_rate'],
      [{ duration: '10s', criteria: { max_deadlocks: 0 }, function: 'Bad' }, 'function'],
    ] as const) {
      const result = monitorStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(words);
    }
    expect(baselineStep.schema.safeParse({ window: 'x' }).success).toBe(false);
    expect(baselineStep.schema.safeParse({ tables: [] }).success).toBe(false);
  });
});

/**
 * One session holds the row lock `waiterSql` needs (it runs `waiterSql` itself first, in an open
 * transaction), a second session runs `waiterSql` and waits; release() lets both go.
 */
async function holdRowLockWithWaiter(
  url: string,
  setupSql: string,
  waiterSql: string,
): Promise<{ release(): Promise<void> }> {
  const db = Database.connect(url, { max: 2 });
  await db.query(setupSql);
  const holder = await holdRowLock(url, waiterSql);
  const waiter = db.query(waiterSql);
  await untilLockWaiters(db);
  return {
    async release() {
      await holder.release();
      await waiter;
      await db.close();
    },
  };
}

/** One session holds a row lock (runs `lockSql` in an open transaction) until release(). */
async function holdRowLock(url: string, lockSql: string): Promise<{ release(): Promise<void> }> {
  const db = Database.connect(url, { max: 1 });
  let releaseHolder!: () => void;
  const holderDone = new Promise<void>((resolve) => (releaseHolder = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = db.transaction(async (tx) => {
    await tx.query(lockSql);
    locked();
    await holderDone;
  });
  await isLocked;
  return {
    async release() {
      releaseHolder();
      await holder;
      await db.close();
    },
  };
}
