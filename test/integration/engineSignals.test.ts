import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { ExitCode } from '../../src/errors.js';
import { interruptibleChecklist, onlyRunEvents, spawnShipcheck, timesStarted, waitForRunLog } from './engineProcess.js';
import { engineTest } from './engineSupport.js';

/** Ctrl-C is SIGINT sent to `node bin/shipcheck.js run …`, a real child process. */

/** Each test's own workspace with the interruptible checklist, and the CLI on it. */
const it = engineTest({ migrateTo: 'none' }).extend('signals', async ({ staging, ws }) => {
  const file = join(ws.dir, 'checklist.yaml');
  const marker = join(ws.dir, 'marker');
  await writeFile(file, interruptibleChecklist(marker));
  return {
    ws,
    file,
    marker,
    shipcheck: (args: string[]) => spawnShipcheck(ws.stateDir, args, { STAGING_URL: staging.url }),
    leaseFile: join(ws.stateDir, 'leases', 'resume-test.staging.json'),
  };
});
const finishedSteps = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === 'step_finished' ? [`${e.stepId}:${e.status}`] : []));

// Each test has its own workspace and only reads the database: they overlap.
describe.concurrent('Ctrl-C (SIGINT)', () => {
  it('during a read-only step: the step finishes, the run stops before the next one (exit 130), and a later run goes on from there', async ({
    signals: { ws, file, marker, shipcheck, leaseFile },
  }) => {
    const run = shipcheck(['run', file, '--env', 'staging']);
    await waitForRunLog(ws.stateDir, (events) => timesStarted(events, 'slow-check') === 1);
    run.kill('SIGINT');
    const stopped = await run.done;

    expect(stopped.code, stopped.err).toBe(ExitCode.interrupted);
    expect(stopped.err).toContain('interrupted by the operator (Ctrl-C) before step slow-command (Slow command)');
    expect(stopped.err).toContain('the run is resumable');
    let events = await onlyRunEvents(ws.stateDir);
    expect(finishedSteps(events)).toEqual(['slow-check:passed']);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: 'slow-command' });
    expect(existsSync(leaseFile)).toBe(false);

    await writeFile(marker, 'go');
    const resumed = await shipcheck(['run', file, '--env', 'staging']).done;
    expect(resumed.code, resumed.err).toBe(0);
    events = await onlyRunEvents(ws.stateDir);
    expect(['slow-check', 'slow-command', 'after'].map((id) => timesStarted(events, id))).toEqual([1, 1, 1]);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'passed' });
  });

  it('during a non-idempotent command: the command is stopped, the step is left unfinished (no failure, no rollback), exit 130; the resume asks before running it again', async ({
    signals: { ws, file, marker, shipcheck, leaseFile },
  }) => {
    const run = shipcheck(['run', file, '--env', 'staging']);
    await waitForRunLog(ws.stateDir, (events) =>
      events.some((e) => e.type === 'step_progress' && e.stepId === 'slow-command'),
    );
    run.kill('SIGINT');
    const stopped = await run.done;

    expect(stopped.code, stopped.err).toBe(ExitCode.interrupted);
    expect(stopped.err).toContain('interrupted by the operator (Ctrl-C) during step slow-command (Slow command)');
    let events = await onlyRunEvents(ws.stateDir);
    // on_fail: rollback must not fire: Ctrl-C is not a failed check.
    expect(finishedSteps(events)).toEqual(['slow-check:passed']);
    expect(events.some((e) => e.type === 'rollback_started' || e.type === 'run_finished')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: 'slow-command' });
    expect(existsSync(leaseFile)).toBe(false);

    // Without a TTY nobody can say whether the command did its work: exit 6, as after kill -9.
    const undecided = await shipcheck(['run', file, '--env', 'staging']).done;
    expect(undecided.code, undecided.err).toBe(ExitCode.interruptedStep);
    expect(undecided.err).toContain('--retry-step slow-command');

    await writeFile(marker, 'go');
    const retried = await shipcheck(['run', file, '--env', 'staging', '--retry-step', 'slow-command']).done;
    expect(retried.code, retried.err).toBe(0);
    events = await onlyRunEvents(ws.stateDir);
    expect(['slow-check', 'slow-command', 'after'].map((id) => timesStarted(events, id))).toEqual([1, 2, 1]);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'passed' });
  });
});
