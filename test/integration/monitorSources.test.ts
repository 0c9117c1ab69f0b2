import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.js';
import { benchmarksOf, renderBenchmarkMarkdown } from '../../src/report/benchmarkTable.js';
import { chartsOf } from '../../src/report/charts.js';
import { benchmarksHtml } from '../../src/report/htmlSteps.js';
import type { ReportStep } from '../../src/report/runReport.js';
import { baselineStep } from '../../src/steps/baseline.js';
import { monitorStep } from '../../src/steps/monitor.js';
import type { StepContext, StepKind, StepOutcome } from '../../src/steps/types.js';
import { adminUrl } from '../support/database.js';
import { type StepHarness, stepHarness } from '../support/stepContext.js';

const organizationId = '00000000-0000-0000-0000-000000000002';
const fn = 'public.atomic_update_user_behavior';

/**
 * The monitor's function figures without track_functions: from pg_stat_statements when the
 * extension is there, else "unavailable" with the reason and the thresholds left unjudged.
 * track_functions is turned off for the test database only (ALTER DATABASE), so the
 * connections the steps open afterwards start with it off.
 */
describe('monitor function sources: pg_stat_statements when track_functions is none', () => {
  let harness: StepHarness;
  /** Connections opened after track_functions was turned off for the database. */
  let untracked: Database;
  let comments = 0;

  const callFunction = async (times: number) => {
    for (let i = 0; i < times; i++) {
      await untracked.query('select public.atomic_update_user_behavior($1, $2, $3, null, $4::jsonb)', [
        organizationId,
        'twitter',
        'sourced',
        JSON.stringify({ severity: 'low', toxicity_score: 0.1, comment_id: `s${++comments}`, action_tags: [] }),
      ]);
    }
  };

  /** Runs a step kind with the environment's pool replaced by the untracked one. */
  const run = <Spec>(kind: StepKind<Spec>, raw: unknown, outcomes: Record<string, StepOutcome> = {}) => {
    const base = harness.context({ step: { id: kind.kind }, outcomes });
    const context: StepContext = { ...base, environment: { ...base.environment, db: untracked } };
    return kind.run(kind.schema.parse(raw), context);
  };

  beforeAll(async () => {
    harness = await stepHarness();
    await harness.database.db.query("insert into public.organizations (id, name) values ($1, 'sourced org')", [
      organizationId,
    ]);
    const admin = Database.connect(adminUrl(), { max: 1 });
    try {
      await admin.query(`alter database ${harness.database.name} set track_functions = none`);
    } finally {
      await admin.close();
    }
    untracked = Database.connect(harness.database.url, { max: 4 });
  });
  afterAll(async () => {
    await untracked?.close();
    await harness?.close();
  });

  it('the connections the steps open really have track_functions off', async () => {
    const { rows } = await untracked.query<{ track_functions: string }>('show track_functions');
    expect(rows[0]!.track_functions).toBe('none');
  });

  it('neither source: the function figures are unavailable, said why, and their thresholds are not judged', async () => {
    harness.progress.length = 0;
    const baseline = await run(baselineStep, { function: fn, window: '200ms' });
    expect(baseline.status).toBe('passed');
    expect(baseline.observed).toMatchObject({
      track_functions: 'none',
      function_source: {
        source: 'unavailable',
        reason: expect.stringContaining('pg_stat_statements is not installed in database'),
      },
      function_not_measured: expect.stringContaining("track_functions is 'none'"),
    });
    expect(baseline.metrics).not.toHaveProperty('function_calls');

    const monitoring = run(
      monitorStep,
      {
        duration: '1500ms',
        interval: '250ms',
        function: fn,
        baseline: 'baseline',
        criteria: { max_deadlocks: 0, max_mean_exec_ms: 15, max_degradation: 0.2 },
      },
      { baseline },
    );
    await windowStarted();
    await callFunction(25);
    const outcome = await monitoring;
    expect(outcome.status, outcome.message).toBe('passed');
    expect(outcome.message).toMatch(/\(not measured: max_mean_exec_ms, max_degradation\)/);
    const observed = outcome.observed as Observed;
    expect(observed.function_source).toEqual({
      source: 'unavailable',
      reason: expect.stringMatching(
        /^track_functions is 'none'.*, and pg_stat_statements is not installed in database t_/,
      ),
    });
    expect(observed.unmeasured).toEqual([
      { criterion: 'max_mean_exec_ms', reason: observed.function_source.reason },
      {
        criterion: 'max_degradation',
        reason: expect.stringContaining('no app_metrics (or shield_metrics) in the step'),
      },
    ]);
    expect(observed.criteria).toMatchObject({ max_deadlocks: 0, max_mean_exec_ms: null });
    expect(observed.figures).toMatchObject({ functionCalls: null, meanExecMs: null });
    expect(outcome.metrics).not.toHaveProperty('mean_exec_ms');
    expect(harness.progress).toContain(`max_mean_exec_ms: not measured (${observed.function_source.reason})`);
    expect(harness.progress).toContain(`function figures: unavailable: ${observed.function_source.reason}`);
  });

  it('pg_stat_statements installed: the monitor reads calls and mean time from it, and says so in the evidence and the report', async (ctx) => {
    const unloadable = await statementsUnloadable(harness.database.db);
    ctx.skip(unloadable !== undefined, unloadable);
    await harness.database.db.query('create extension if not exists pg_stat_statements');

    const baseline = await run(baselineStep, { function: fn });
    expect(baseline.observed).toMatchObject({
      function_source: { source: 'pg_stat_statements', schema: 'public', sees_all_roles: true },
    });
    expect(baseline.message).toMatch(/calls of public\.atomic_update_user_behavior \(pg_stat_statements\)/);

    harness.progress.length = 0;
    const monitoring = run(monitorStep, {
      duration: '2s',
      interval: '250ms',
      function: fn,
      criteria: { max_mean_exec_ms: 1000 },
    });
    await windowStarted();
    await callFunction(25);
    const outcome = await monitoring;
    expect(outcome.status, outcome.message).toBe('passed');
    const observed = outcome.observed as Observed;
    expect(observed.function_source).toMatchObject({
      source: 'pg_stat_statements',
      track_functions: 'none',
      statements_matching: '\\matomic_update_user_behavior"?\\s*\\(',
    });
    expect(observed.unmeasured).toEqual([]);
    expect(observed.figures.functionCalls).toBe(25);
    expect(observed.figures.meanExecMs).toBeGreaterThan(0);
    expect(outcome.metrics).toMatchObject({ function_calls: 25, mean_exec_ms: observed.figures.meanExecMs });
    expect(observed.criteria.max_mean_exec_ms).toBe(observed.figures.meanExecMs);
    expect(harness.progress.some((p) => p.startsWith('function figures: pg_stat_statements'))).toBe(true);
    console.info(`pg_stat_statements: ${observed.figures.functionCalls} calls, mean ${observed.figures.meanExecMs} ms`);

    // Not from pg_stat_user_functions: with track_functions off it counted none of the calls.
    const counted = await untracked.query<{ calls: string | null }>(
      "select sum(calls) as calls from pg_stat_user_functions where funcname = 'atomic_update_user_behavior'",
    );
    expect(counted.rows[0]!.calls).toBeNull();

    const evidence = JSON.parse(await readFile(join(harness.runDir, outcome.evidence![0]!.path), 'utf8')) as {
      function_source: unknown;
    };
    expect(evidence.function_source).toEqual(observed.function_source);

    const step: ReportStep = {
      id: 'watch',
      phaseId: 'deploy',
      kind: 'monitor',
      title: 'Watch',
      status: 'Success',
      observed,
      attempts: 1,
      progress: [],
      evidence: [],
    };
    const tables = benchmarksOf([step]);
    expect(tables[0]!.benchmark.functionSource).toEqual(observed.function_source);
    expect(renderBenchmarkMarkdown(tables).join('\n')).toContain('Function figures: pg_stat_statements');
    expect(benchmarksHtml(tables)).toContain('<p class="function-source">Function figures: pg_stat_statements');
    const charts = chartsOf([step]);
    expect(charts[0]!.functionSource).toMatch(/^pg_stat_statements /);
    expect(charts[0]!.series.filter((s) => s.title.endsWith('from pg_stat_statements')).map((s) => s.key)).toEqual([
      'function_calls_per_s',
      'mean_exec_ms',
    ]);
  });

  it('pg_stat_statements as the source still fails the step when the mean time goes over the limit', async (ctx) => {
    const unloadable = await statementsUnloadable(harness.database.db);
    ctx.skip(unloadable !== undefined, unloadable);
    await harness.database.db.query('create extension if not exists pg_stat_statements');
    harness.progress.length = 0;
    const monitoring = run(monitorStep, {
      duration: '20s',
      interval: '250ms',
      function: fn,
      criteria: { max_mean_exec_ms: 0.0001 },
    });
    await windowStarted();
    await callFunction(3);
    const outcome = await monitoring;
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/^max_mean_exec_ms breached: mean execution time \(ms\) [\d.]+ > 0\.0001/);
    expect((outcome.observed as Observed).function_source.source).toBe('pg_stat_statements');
  });

  it("does not compare a function time read from pg_stat_user_functions in the baseline with pg_stat_statements' in the window", async (ctx) => {
    const unloadable = await statementsUnloadable(harness.database.db);
    ctx.skip(unloadable !== undefined, unloadable);
    await harness.database.db.query('create extension if not exists pg_stat_statements');
    const tracked: StepOutcome = {
      status: 'passed',
      expected: 'the figures recorded',
      observed: { function_source: { source: 'pg_stat_user_functions', track_functions: 'pl' } },
      metrics: { function_calls: 100, function_mean_exec_ms: 0.4 },
      message: 'baseline recorded',
    };
    const outcome = await run(
      monitorStep,
      { duration: '1s', interval: '500ms', function: fn, baseline: 'baseline', criteria: { max_degradation: 0.2 } },
      { baseline: tracked },
    );
    expect(outcome.status).toBe('passed');
    expect((outcome.observed as Observed).unmeasured).toEqual([
      {
        criterion: 'max_degradation',
        reason:
          "app latency: no app_metrics (or shield_metrics) in the step; function time: baseline baseline read the function's time from pg_stat_user_functions, this window from pg_stat_statements",
      },
    ]);
  });

  /** The monitor took its first sample: what happens from now on is inside its window. */
  const windowStarted = () =>
    expect
      .poll(() => harness.progress.some((p) => p.startsWith('watching for')), { timeout: 10_000, interval: 50 })
      .toBe(true);
});

interface Observed {
  function_source: { source: string; reason: string };
  unmeasured: { criterion: string; reason: string }[];
  criteria: Record<string, number | null>;
  figures: { functionCalls: number | null; meanExecMs: number | null };
}

/** Why this server cannot give pg_stat_statements, or undefined when it can. */
async function statementsUnloadable(db: Database): Promise<string | undefined> {
  const { rows } = await db.query<{ available: boolean; preload: string }>(
    "select exists (select 1 from pg_available_extensions where name = 'pg_stat_statements') as available, current_setting('shared_preload_libraries') as preload",
  );
  if (!rows[0]!.available) return 'pg_stat_statements is not shipped with this server (no contrib package)';
  if (!/\bpg_stat_statements\b/.test(rows[0]!.preload))
    return `pg_stat_statements is not in shared_preload_libraries (${JSON.stringify(rows[0]!.preload)})`;
  return undefined;
}
