import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import type { TestDatabase } from '../support/database.js';
import { onlyRunEvents, spawnShipcheck, timesStarted, waitForMarkerScript, waitForRunLog } from './engineProcess.js';
import { engineTest, stagingChecklist, type Workspace } from './engineSupport.js';

/** Each test's own workspace and database, the CLI on them, and what the tests do there. */
const it = engineTest({ migrateTo: '006' }).extend('killed', async ({ staging, ws }, { onCleanup }) => {
  // Lets a command orphaned by kill -9 exit (it polls for this file), whatever the test did.
  onCleanup(() => writeFile(join(ws.dir, 'marker'), 'go'));
  const shipcheck = (args: string[]) => spawnShipcheck(ws.stateDir, args, { STAGING_URL: staging.url });
  return {
    ws,
    staging,
    shipcheck,
    runEvents: () => onlyRunEvents(ws.stateDir),
    killDuringRollbackStep: (file: string, stepId: string) => killDuringRollbackStep(ws, staging, file, stepId),
    /** The checklist whose rollback step rb-slow waits for `marker`, killed while it waits. */
    killedInMarkerWait: async () => {
      const log = join(ws.dir, 'commands.log');
      const marker = join(ws.dir, 'marker');
      const file = join(ws.dir, 'checklist.yaml');
      await writeFile(file, rollbackChecklist(log, markerWaitStep(marker)));
      return { log, marker, file, runId: runIdOf(await killDuringRollbackStep(ws, staging, file, 'rb-slow')) };
    },
  };
});
const started = timesStarted;
const runIdOf = (events: readonly RunEvent[]) => (events[0]?.type === 'run_started' ? events[0].runId : '');
const count = (events: readonly RunEvent[], type: RunEvent['type']) => events.filter((e) => e.type === type).length;

/** The run ended rolled back by one function_related rollback, each step of `starts` started that many times. */
function expectRolledBackOnce(events: readonly RunEvent[], starts: Record<string, number>): void {
  for (const [stepId, times] of Object.entries(starts)) expect(started(events, stepId), stepId).toBe(times);
  expect(count(events, 'rollback_started')).toBe(1);
  expect(events.slice(-2)).toMatchObject([
    { type: 'rollback_finished', branch: 'function_related', status: 'rolled_back' },
    { type: 'run_finished', status: 'rolled_back' },
  ]);
}

// Each command appends its name to a file: what ran, counted outside the run log too.
const append = `require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\n')`;
const appendAndFail = `${append};process.exit(1)`;
const lockKey = 7_331_024;

/**
 * A checklist whose command `bad` fails with on_fail: rollback; its function_related
 * branch runs a command, then `slowStep` (which waits for the test), then a last check.
 */
function rollbackChecklist(log: string, slowStep: string): string {
  const q = JSON.stringify;
  return stagingChecklist(
    'rollback-resume-test',
    `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: first, kind: sql, title: First check, query: "select 1 as one", expect: { rows: [[1]] } }
      - { id: bad, kind: command, title: Failing command, run: [node, -e, ${q(appendAndFail)}, ${q(log)}, bad], on_fail: rollback }
      - { id: after, kind: sql, title: After, query: "select 1 as one", expect: { rows: [[1]] } }`,
    {
      rollback: `  function_related:
    - { id: rb-first, kind: command, title: First rollback step, run: [node, -e, ${q(append)}, ${q(log)}, rb-first] }
    - ${slowStep}
    - { id: rb-last, kind: sql, title: Last rollback step, query: "select 1 as one", expect: { rows: [[1]] } }
  data_corruption:
    - { id: rb-restore, kind: sql, title: Restore, query: "select 1 as one", expect: { row_count: 1 } }`,
    },
  );
}

/** A read-only (idempotent) sql step that waits while the test holds advisory lock `lockKey`. */
const lockWaitStep = `{ id: rb-wait, kind: sql, title: Slow read-only rollback step, query: "select 1 as one from (select pg_advisory_xact_lock_shared(${lockKey})) s", expect: { rows: [[1]] } }`;
/** A command (not idempotent) that waits until the file `marker` exists. */
const markerWaitStep = (marker: string) =>
  `{ id: rb-slow, kind: command, title: Slow rollback command, run: [node, -e, ${JSON.stringify(waitForMarkerScript)}, ${JSON.stringify(marker)}], timeout: 2m }`;

/** Runs the checklist until `stepId` of the rollback has started, then kill -9. */
async function killDuringRollbackStep(
  ws: Workspace,
  staging: TestDatabase,
  file: string,
  stepId: string,
): Promise<RunEvent[]> {
  const first = spawnShipcheck(ws.stateDir, ['run', file, '--env', 'staging'], { STAGING_URL: staging.url });
  await waitForRunLog(ws.stateDir, (events) => started(events, stepId) === 1);
  first.kill();
  expect((await first.done).signal).toBe('SIGKILL');
  const events = await onlyRunEvents(ws.stateDir);
  expect(count(events, 'rollback_started')).toBe(1);
  expect(count(events, 'rollback_finished')).toBe(0);
  return events;
}

// Each test has its own workspace and database (and so its own advisory locks): they overlap.
describe.concurrent('resume after kill -9 during the rollback', () => {
  it('an idempotent rollback step is re-run, the rollback goes on and the run ends ROLLED BACK (exit 1): done rollback steps and the failed step are not run again', async ({
    killed: { ws, staging, shipcheck, runEvents, killDuringRollbackStep },
  }) => {
    const log = join(ws.dir, 'commands.log');
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, rollbackChecklist(log, lockWaitStep));
    const holder = new pg.Client({ connectionString: staging.url });
    await holder.connect();
    let killed: RunEvent[];
    try {
      await holder.query('select pg_advisory_lock($1)', [lockKey]);
      killed = await killDuringRollbackStep(file, 'rb-wait');
      expect(killed.filter((e) => e.type === 'step_finished').map((e) => [e.stepId, e.status])).toEqual([
        ['first', 'passed'],
        ['bad', 'failed'],
        ['rb-first', 'passed'],
      ]);
      await holder.query('select pg_advisory_unlock($1)', [lockKey]);
    } finally {
      await holder.end();
    }

    const resumed = await shipcheck(['run', file, '--env', 'staging', '--take-over']).done;
    expect(resumed.code, resumed.err).toBe(1);
    const runId = runIdOf(killed);
    expect(resumed.out).toContain(
      `resuming the rollback of run ${runId} (function_related branch) started after step bad failed: ` +
        'rollback steps already done are not repeated, bad is not run again',
    );
    expect(resumed.out).toContain('✔ First rollback step — passed in an earlier session');
    expect(resumed.err).toContain('rolled back (function related branch) after: step bad (Failing command) failed');

    const events = await runEvents();
    expect(started(events, 'bad')).toBe(1);
    expect(started(events, 'rb-first')).toBe(1);
    expect(started(events, 'rb-wait')).toBe(2);
    expect(started(events, 'rb-last')).toBe(1);
    expect(started(events, 'after')).toBe(0);
    expect(count(events, 'rollback_started')).toBe(1);
    // This session's events are the rest of an uninterrupted rollback's.
    const session = events
      .slice(events.findIndex((e) => e.type === 'run_resumed') + 1)
      .filter((e) => e.type !== 'lease_taken_over');
    expect(session.map((e) => [e.type, 'stepId' in e ? e.stepId : 'status' in e ? e.status : ''])).toEqual([
      ['step_started', 'rb-wait'],
      ['step_finished', 'rb-wait'],
      ['step_started', 'rb-last'],
      ['step_finished', 'rb-last'],
      ['rollback_finished', 'rolled_back'],
      ['run_finished', 'rolled_back'],
    ]);
    expect(await readFile(log, 'utf8')).toBe('bad\nrb-first\n');

    const status = await shipcheck(['status', runId, '--json']).done;
    expect(JSON.parse(status.out)).toMatchObject({ runStatus: 'rolled_back' });
  });

  it('a non-idempotent rollback step is not repeated blindly: exit 6 without a TTY, then resume --retry-step finishes the rollback', async ({
    killed: { shipcheck, runEvents, killedInMarkerWait },
  }) => {
    const { log, marker, file, runId } = await killedInMarkerWait();

    const stopped = await shipcheck(['run', file, '--env', 'staging', '--take-over']).done;
    expect(stopped.code, stopped.err).toBe(6);
    expect(stopped.out).toContain(
      `resuming the rollback of run ${runId} (function_related branch) started after step bad failed`,
    );
    expect(stopped.err).toContain(
      'step "rb-slow" (Slow rollback command) was interrupted mid-way and is not safe to repeat blindly',
    );
    expect(stopped.err).toContain(`shipcheck resume ${runId} --retry-step rb-slow`);
    const events = await runEvents();
    expect(started(events, 'rb-slow')).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted_step', stepId: 'rb-slow' });

    await writeFile(marker, 'go');
    const resumed = await shipcheck(['resume', runId, '--retry-step', 'rb-slow']).done;
    expect(resumed.code, resumed.err).toBe(1);
    expect(resumed.err).toContain('rolled back (function related branch) after: step bad (Failing command) failed');
    expectRolledBackOnce(await runEvents(), { bad: 1, 'rb-first': 1, 'rb-slow': 2, 'rb-last': 1 });
    expect(await readFile(log, 'utf8')).toBe('bad\nrb-first\n');
  });

  it('shipcheck rollback RUN finishes the rollback the killed run left, never a second one on top', async ({
    killed: { shipcheck, runEvents, killedInMarkerWait },
  }) => {
    const { log, runId } = await killedInMarkerWait();

    // Another branch would start on top of the unfinished one: refused, nothing recorded.
    const before = (await runEvents()).length;
    const otherBranch = await shipcheck(['rollback', runId, '--branch', 'data_corruption', '--take-over']).done;
    expect(otherBranch.code, otherBranch.err).toBe(2);
    expect(otherBranch.err).toContain(`run ${runId} has an unfinished function_related rollback`);
    expect((await runEvents()).length).toBe(before);

    // The same rollback, continued: its interrupted command needs a decision, with this command's advice.
    const stopped = await shipcheck(['rollback', runId, '--take-over']).done;
    expect(stopped.code, stopped.err).toBe(6);
    expect(stopped.out).toContain(
      `resuming the rollback of run ${runId} (function_related branch) started after step bad failed`,
    );
    expect(stopped.err).toContain(`shipcheck rollback ${runId} --retry-step rb-slow`);

    // Checked by hand: it had completed.
    const finished = await shipcheck(['rollback', runId, '--skip-step', 'rb-slow']).done;
    expect(finished.code, finished.err).toBe(0);
    expect(finished.out).toContain('↓ Slow rollback command — skipped: skipped with --skip-step');
    expectRolledBackOnce(await runEvents(), { bad: 1, 'rb-first': 1, 'rb-slow': 1, 'rb-last': 1, 'rb-restore': 0 });
    expect(await readFile(log, 'utf8')).toBe('bad\nrb-first\n');
  });
});
