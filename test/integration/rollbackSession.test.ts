import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { acquireLease } from '../../src/engine/lease.js';
import { rollbackRun } from '../../src/engine/manualRollback.js';
import { runChecklist } from '../../src/engine/runner.js';
import { foldEvents } from '../../src/engine/state.js';
import { ExitCode, InterruptedError, LockHeldError, type ShipcheckError } from '../../src/errors.js';
import { onlyRunEvents, spawnShipcheck, timesStarted, waitForMarkerScript, waitForRunLog } from './engineProcess.js';
import { engineFile, stagingChecklist } from './engineSupport.js';

/**
 * `shipcheck rollback RUN` runs in the same session as `run` and `resume`: Ctrl-C stops
 * it between steps (exit 130, resumable), a lost lease stops it before its next step (exit 4).
 */

const { staging, ws } = engineFile({ migrateTo: 'none' });
let marker: string;

beforeEach(async () => {
  marker = join(ws.dir, 'marker');
  return async () => {
    // Lets a command left waiting exit (it polls for this file), whatever the test did.
    await writeFile(marker, 'go');
  };
});

const q = JSON.stringify;
const env = () => ({ PATH: process.env.PATH ?? '', STAGING_URL: staging.url });
const shipcheck = (args: string[]) => spawnShipcheck(ws.stateDir, args, { STAGING_URL: staging.url });
const leaseFile = () => join(ws.stateDir, 'leases', 'rollback-session.staging.json');
const count = (events: readonly RunEvent[], type: RunEvent['type']) => events.filter((e) => e.type === type).length;

/** A run whose one phase step passes (or fails, with on_fail: rollback); its rollback: a slow read-only check, a command that waits for `marker`, a last check. */
function checklist(deployStep: 'passes' | 'fails'): string {
  const query = deployStep === 'passes' ? 'select 1 as one' : 'select 2 as one';
  return stagingChecklist(
    'rollback-session',
    `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: deploy-check, kind: sql, title: Deploy check, query: "${query}", expect: { rows: [[1]] }, on_fail: rollback }`,
    {
      rollback: `  function_related:
    - { id: rb-check, kind: sql, title: Slow rollback check, query: "select 1 as one from pg_sleep(0.8)", expect: { rows: [[1]] } }
    - { id: rb-slow, kind: command, title: Slow rollback command, run: [node, -e, ${q(waitForMarkerScript)}, ${q(marker)}], timeout: 2m }
    - { id: rb-last, kind: sql, title: Last rollback check, query: "select 1 as one", expect: { rows: [[1]] } }
  data_corruption: [{ id: rb-restore, kind: sql, title: Restore, query: "select 1 as one", expect: { row_count: 1 } }]`,
    },
  );
}

async function passedRun(): Promise<{ file: string; runId: string }> {
  const file = join(ws.dir, 'checklist.yaml');
  await writeFile(file, checklist('passes'));
  const run = await shipcheck(['run', file, '--env', 'staging']).done;
  expect(run.code, run.err).toBe(0);
  const events = await onlyRunEvents(ws.stateDir);
  return { file, runId: events[0]?.type === 'run_started' ? events[0].runId : '' };
}

describe('shipcheck rollback RUN and Ctrl-C (SIGINT)', () => {
  it('between steps: the step under way finishes, the rollback stops before the next one (exit 130, recorded as stopped), and rollback RUN finishes it', async () => {
    const { runId } = await passedRun();
    const rollback = shipcheck(['rollback', runId]);
    await waitForRunLog(ws.stateDir, (events) => timesStarted(events, 'rb-check') === 1);
    rollback.kill('SIGINT');
    const stopped = await rollback.done;

    expect(stopped.code, stopped.err).toBe(ExitCode.interrupted);
    expect(stopped.err).toContain('interrupted by the operator (Ctrl-C) before step rb-slow (Slow rollback command)');
    expect(stopped.err).toContain(`the run is resumable: shipcheck rollback ${runId} continues it`);
    let events = await onlyRunEvents(ws.stateDir);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: 'rb-slow' });
    expect(count(events, 'rollback_finished')).toBe(0);
    expect(foldEvents(events)).toMatchObject({
      status: 'stopped',
      rollback: { status: 'running', steps: ['rb-check'] },
    });
    expect(existsSync(leaseFile())).toBe(false);

    await writeFile(marker, 'go');
    const finished = await shipcheck(['rollback', runId]).done;
    expect(finished.code, finished.err).toBe(0);
    events = await onlyRunEvents(ws.stateDir);
    expect(['rb-check', 'rb-slow', 'rb-last'].map((id) => timesStarted(events, id))).toEqual([1, 1, 1]);
    expect(count(events, 'rollback_started')).toBe(1);
    expect(events.slice(-2)).toMatchObject([
      { type: 'rollback_finished', branch: 'function_related', status: 'rolled_back' },
      { type: 'run_finished', status: 'rolled_back' },
    ]);
  });

  it('during a non-idempotent command: the command is stopped and left unfinished (no rollback failure), exit 130; the next rollback RUN asks before running it again', async () => {
    const { runId } = await passedRun();
    const rollback = shipcheck(['rollback', runId]);
    await waitForRunLog(ws.stateDir, (events) =>
      events.some((e) => e.type === 'step_progress' && e.stepId === 'rb-slow'),
    );
    rollback.kill('SIGINT');
    const stopped = await rollback.done;

    expect(stopped.code, stopped.err).toBe(ExitCode.interrupted);
    expect(stopped.err).toContain('interrupted by the operator (Ctrl-C) during step rb-slow (Slow rollback command)');
    let events = await onlyRunEvents(ws.stateDir);
    // Not "failed to roll back": Ctrl-C says nothing about the target.
    expect(
      events.some((e) => e.type === 'rollback_finished' || (e.type === 'step_finished' && e.stepId === 'rb-slow')),
    ).toBe(false);
    expect(events.filter((e) => e.type === 'run_finished')).toHaveLength(1); // the run's own, before the rollback
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: 'rb-slow' });
    expect(existsSync(leaseFile())).toBe(false);

    const undecided = await shipcheck(['rollback', runId]).done;
    expect(undecided.code, undecided.err).toBe(ExitCode.interruptedStep);
    expect(undecided.err).toContain(`shipcheck rollback ${runId} --retry-step rb-slow`);

    await writeFile(marker, 'go');
    const retried = await shipcheck(['rollback', runId, '--retry-step', 'rb-slow']).done;
    expect(retried.code, retried.err).toBe(0);
    events = await onlyRunEvents(ws.stateDir);
    expect(['rb-check', 'rb-slow', 'rb-last'].map((id) => timesStarted(events, id))).toEqual([1, 2, 1]);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'rolled_back' });
  });
});

describe('a lost lease during a rollback', () => {
  it('a rollback whose lease is taken over during a slow step stops before its next step (exit 4), naming who took it; the taker keeps the lease', async () => {
    const { runId } = await passedRun();
    const loaded = await ws.writeChecklist(checklist('passes'));
    // A 300 ms lease that no heartbeat refreshes: it is stale while rb-check runs, as if this process had stalled.
    const rolling = rollbackRun({
      checklist: loaded,
      stateDir: ws.stateDir,
      runId,
      env: env(),
      lease: { ttlMs: 300, heartbeatMs: 600_000 },
    });
    await waitForRunLog(ws.stateDir, (events) => timesStarted(events, 'rb-check') === 1);
    await new Promise((r) => setTimeout(r, 400));
    const taker = await acquireLease({
      stateDir: ws.stateDir,
      name: 'rollback-session.staging',
      runId: 'the-other-operator',
      takeOver: true,
    });

    const result = await rolling;
    expect(result.error).toBeInstanceOf(LockHeldError);
    expect((result.error as LockHeldError).exitCode).toBe(ExitCode.lockHeld);
    expect(result.error?.message).toContain(
      `taken over by ${taker.record.holder} (pid ${process.pid}, run the-other-operator)`,
    );
    const events = await onlyRunEvents(ws.stateDir);
    expect(timesStarted(events, 'rb-slow')).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'lease_lost', stepId: 'rb-slow' });
    expect(await taker.check()).toEqual({ held: true });
    await taker.release();
  });
});

describe('a stale lease taken over by a rollback', () => {
  it('is recorded in the run log (lease_taken_over after run_resumed), as a run records it', async () => {
    const { runId } = await passedRun();
    const loaded = await ws.writeChecklist(checklist('passes'));
    // Left behind by a stalled session: expired, its heartbeat never ran.
    const stale = await acquireLease({
      stateDir: ws.stateDir,
      name: 'rollback-session.staging',
      runId: 'stalled',
      ttlMs: 100,
      heartbeatMs: 600_000,
    });
    await new Promise((r) => setTimeout(r, 200));
    await writeFile(marker, 'go');
    const result = await rollbackRun({ checklist: loaded, stateDir: ws.stateDir, runId, env: env(), takeOver: true });

    expect(result.error).toBeUndefined();
    expect(result.status).toBe('rolled_back');
    const events = await onlyRunEvents(ws.stateDir);
    const resumed = events.findIndex((e) => e.type === 'run_resumed');
    expect(events[resumed + 1]).toMatchObject({
      type: 'lease_taken_over',
      previous: { runId: 'stalled', holder: stale.record.holder },
    });
    await stale.release(); // stops its timer; the file is no longer its own, so nothing is removed
  });
});

describe('Ctrl-C during the rollback on_fail started', () => {
  it('stops the run resumable (exit 130) instead of recording a failed rollback; the next run finishes the rollback', async () => {
    const loaded = await ws.writeChecklist(checklist('fails'));
    const controller = new AbortController();
    const running = runChecklist({
      checklist: loaded,
      environment: 'staging',
      stateDir: ws.stateDir,
      env: env(),
      signal: controller.signal,
    });
    await waitForRunLog(ws.stateDir, (events) =>
      events.some((e) => e.type === 'step_progress' && e.stepId === 'rb-slow'),
    );
    controller.abort();
    const stopped = await running;
    expect(stopped.error).toBeInstanceOf(InterruptedError);
    expect(stopped.error).toMatchObject({ code: 'interrupted', exitCode: ExitCode.interrupted });
    expect(stopped.status).toBe('stopped');
    expect(count(await onlyRunEvents(ws.stateDir), 'rollback_finished')).toBe(0);

    await writeFile(marker, 'go');
    const resumed = await runChecklist({
      checklist: loaded,
      environment: 'staging',
      stateDir: ws.stateDir,
      env: env(),
      retryStep: 'rb-slow',
    });
    expect((resumed.error as ShipcheckError | undefined)?.code).toBe('rolled_back');
    expect(resumed.status).toBe('rolled_back');
    const events = await onlyRunEvents(ws.stateDir);
    expect(['deploy-check', 'rb-check', 'rb-slow', 'rb-last'].map((id) => timesStarted(events, id))).toEqual([
      1, 1, 2, 1,
    ]);
  });
});
