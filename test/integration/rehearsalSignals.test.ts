import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withAdvisoryLock } from '../../src/db/advisoryLock.js';
import { openDedicatedConnection, type DedicatedConnection } from '../../src/db/dedicatedConnection.js';
import { migrationLockName } from '../../src/db/migrations/runner.js';
import type { RunEvent } from '../../src/engine/events.js';
import { ExitCode, ShipcheckError } from '../../src/errors.js';
import { onlyRunEvents, spawnShipcheck, timesStarted, waitForRunLog } from './engineProcess.js';
import { engineFile, stagingChecklist } from './engineSupport.js';

/**
 * Ctrl-C (SIGINT to `node bin/shipcheck.js run …`, a real child process) during a
 * rehearsal, and while a run waits for an advisory lock another session holds.
 */

const { staging: target, ws } = engineFile({ migrateTo: 'none' });
let file: string;
/** A session of the test's own that holds the migrations lock, when a test needs it held. */
let holder: DedicatedConnection | undefined;

const checklist = stagingChecklist(
  'signals-test',
  `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: apply, kind: migrate, title: Apply the probe table, migration: "001", directory: migrations }
      - { id: slow-check, kind: sql, title: Slow read-only check, query: "select 1 as one from pg_sleep(0.8)", expect: { rows: [[1]] } }
      - { id: after, kind: sql, title: After, query: "select 1 as one", expect: { rows: [[1]] } }`,
);

beforeEach(async () => {
  file = join(ws.dir, 'checklist.yaml');
  await writeFile(file, checklist);
  await mkdir(join(ws.dir, 'migrations'));
  await writeFile(join(ws.dir, 'migrations', '001_probe_table.sql'), 'create table public.probe_table (id int);\n');
  await target.db.query('drop table if exists public.probe_table; drop schema if exists shipcheck cascade');
});
afterEach(async () => {
  await holder?.close();
  holder = undefined;
});

const shipcheck = (args: string[]) => spawnShipcheck(ws.stateDir, args, { STAGING_URL: target.url });
const finishedSteps = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === 'step_finished' ? [`${e.stepId}:${e.status}`] : []));

async function relationExists(name: string): Promise<boolean> {
  const { rows } = await target.db.query<{ found: string | null }>('select to_regclass($1)::text as found', [name]);
  return rows[0]!.found !== null;
}

async function holdMigrationsLock(): Promise<DedicatedConnection> {
  const connection = await openDedicatedConnection(target.url, 'test: holds the migrations lock');
  await connection.query('select pg_advisory_lock(hashtextextended($1, 0))', [migrationLockName]);
  return connection;
}

describe('Ctrl-C during run --rehearse', () => {
  it('stops before the next step, rolls the rehearsal transaction back (the target is unchanged), records run_stopped interrupted, exit 130', async () => {
    const run = shipcheck(['run', file, '--env', 'staging', '--rehearse']);
    await waitForRunLog(ws.stateDir, (events) => timesStarted(events, 'slow-check') === 1);
    run.kill('SIGINT');
    const stopped = await run.done;

    expect(stopped.code, stopped.err).toBe(ExitCode.interrupted);
    expect(stopped.err).toContain(
      'interrupted by the operator (Ctrl-C) before step after (After); the rehearsal transaction was rolled back; the target is unchanged',
    );
    expect(stopped.err).toContain('a rehearsal is never resumed: shipcheck run --rehearse starts a new one');
    const events = await onlyRunEvents(ws.stateDir);
    expect(finishedSteps(events)).toEqual(['apply:passed', 'slow-check:passed']);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: 'after' });
    // The migrate step created both inside the transaction; the rollback took them away.
    expect(await relationExists('public.probe_table')).toBe(false);
    expect(await relationExists('shipcheck.migrations')).toBe(false);
    expect(existsSync(join(ws.stateDir, 'leases', 'signals-test.staging.json'))).toBe(false);

    // Continuing it would run the remaining steps for real: refused, nothing applied.
    const runId = events[0]!.type === 'run_started' ? events[0]!.runId : '';
    const resumed = await shipcheck(['resume', runId]).done;
    expect(resumed.code, resumed.err).toBe(ExitCode.usage);
    expect(resumed.err).toContain(
      `run ${runId} is a rehearsal, rolled back when it stopped: there is nothing to continue`,
    );
    expect(await onlyRunEvents(ws.stateDir)).toHaveLength(events.length);
    expect(await relationExists('public.probe_table')).toBe(false);
  });
});

describe('Ctrl-C while a run waits for an advisory lock another session holds', () => {
  it('the migrate step stops waiting at once, the run stops with exit 130, and a later run applies the migration', async () => {
    holder = await holdMigrationsLock();
    const run = shipcheck(['run', file, '--env', 'staging']);
    await waitForRunLog(ws.stateDir, (events) =>
      events.some((e) => e.type === 'step_progress' && e.stepId === 'apply'),
    );
    await new Promise((r) => setTimeout(r, 500)); // waiting for the lock by now
    const sent = performance.now();
    run.kill('SIGINT');
    const stopped = await run.done;
    const exitMs = performance.now() - sent;

    expect(stopped.code, stopped.err).toBe(ExitCode.interrupted);
    expect(stopped.err).toContain('interrupted by the operator (Ctrl-C) during step apply (Apply the probe table)');
    // The lock is still held: without the abort the run would wait for it until the test timed out.
    // The bound leaves room for a busy machine (a load of 8 on two cores).
    expect(exitMs).toBeLessThan(15_000);
    console.info(`Ctrl-C to exit while waiting for the migrations lock: ${Math.round(exitMs)} ms`);
    let events = await onlyRunEvents(ws.stateDir);
    expect(finishedSteps(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: 'apply' });
    expect(await relationExists('public.probe_table')).toBe(false);

    await holder.close();
    holder = undefined;
    const resumed = await shipcheck(['run', file, '--env', 'staging']).done;
    expect(resumed.code, resumed.err).toBe(0);
    events = await onlyRunEvents(ws.stateDir);
    expect(timesStarted(events, 'apply')).toBe(2);
    expect(await relationExists('public.probe_table')).toBe(true);
  });

  it('withAdvisoryLock({ wait, signal }): an abort ends the wait without running the work or taking the lock', async () => {
    holder = await holdMigrationsLock();
    const controller = new AbortController();
    let ran = false;
    const waiting = withAdvisoryLock(target.db, migrationLockName, async () => (ran = true), {
      wait: true,
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 300));
    const aborted = performance.now();
    controller.abort();
    const error = await waiting.catch((e: unknown) => e);
    expect(performance.now() - aborted).toBeLessThan(5_000); // the lock is still held: not a wait for it
    expect(error).toBeInstanceOf(ShipcheckError);
    expect(error).toMatchObject({ code: 'interrupted', exitCode: ExitCode.interrupted });
    expect((error as Error).message).toBe(
      `stopped waiting for the advisory lock "${migrationLockName}": interrupted by the operator (Ctrl-C)`,
    );
    expect(ran).toBe(false);

    // Without the holder the same call takes the lock and runs the work.
    await holder.close();
    holder = undefined;
    expect(
      await withAdvisoryLock(target.db, migrationLockName, async () => 'done', {
        wait: true,
        signal: new AbortController().signal,
      }),
    ).toBe('done');
  });
});
