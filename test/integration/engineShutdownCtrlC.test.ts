import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, vi } from 'vitest';
import type { Checklist } from '../../src/checklist/types.js';
import type { RunEvent } from '../../src/engine/events.js';
import { runChecklist } from '../../src/engine/runner.js';
import { ExitCode, ShipcheckError } from '../../src/errors.js';
import { shutdownGraceMs } from '../../src/engine/serverShutdownGrace.js';
import { probeCalls, testRegistry } from '../unit/engine/testKinds.js';
import { Database } from '../../src/db/database.js';
import { startRestartableServer } from '../support/restartableServer.js';
import { engineTest, stagingChecklist } from './engineSupport.js';

/**
 * Ctrl-C on a terminal reaches an embedded postmaster too: its shutdown can fail the running
 * step's query before shipcheck handles the signal. One Ctrl-C must be recorded as an
 * interruption (exit 130, the step left started-and-not-finished for a resume), never as the
 * step's failure. Seen in demoSignals: "step staging-baseline failed: terminating connection
 * due to administrator command" for a demo stopped by Ctrl-C.
 */
const it = engineTest({ migrateTo: 'none' });

/** The checklist run on staging = `url`, as Ctrl-C would stop it through `signal`. */
const runOnStaging = (file: Checklist, stateDir: string, url: string, signal?: AbortSignal) =>
  runChecklist({
    checklist: file,
    environment: 'staging',
    stateDir,
    registry: testRegistry,
    env: { STAGING_URL: url },
    ...(signal && { signal }),
  });

const checklist = stagingChecklist(
  'shutdown-test',
  `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: before, kind: probe, title: Before }
      - { id: watched, kind: probe, title: Watched, result: server_shutdown }`,
);

const stepFinished = (events: readonly RunEvent[], stepId: string) =>
  events.some((e) => e.type === 'step_finished' && e.stepId === stepId);

describe.concurrent('a step failed by the server shutting down', () => {
  it('with Ctrl-C handled after the error: interrupted (exit 130), the step not finished', async ({ staging, ws }) => {
    const file = await ws.writeChecklist(checklist);
    const controller = new AbortController();
    const called = probeCalls.length;
    const running = runOnStaging(file, ws.stateDir, staging.url, controller.signal);
    // The signal is handled well after the step's query failed (the postmaster saw it first, this
    // process was busy): 200 ms, within the grace.
    await vi.waitFor(() => expect(probeCalls.slice(called)).toContain('watched'), { interval: 5 });
    await sleep(200);
    controller.abort();
    const result = await running;

    expect(result.error).toBeInstanceOf(ShipcheckError);
    expect((result.error as ShipcheckError).exitCode).toBe(ExitCode.interrupted);
    const events = await ws.events(result.runId!);
    expect(stepFinished(events, 'watched')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: 'watched' });
  });

  it('without Ctrl-C: after the grace, the step is the error it was', async ({ staging, ws }) => {
    const file = await ws.writeChecklist(checklist);
    const started = performance.now();
    const result = await runOnStaging(file, ws.stateDir, staging.url);
    expect(performance.now() - started).toBeGreaterThanOrEqual(shutdownGraceMs - 50);
    expect(result.status).toBe('failed');
    const watched = result.results.find((r) => r.stepId === 'watched');
    expect(watched?.status).toBe('Error');
    expect(watched?.message ?? '').toContain('terminating connection due to administrator command');
  });

  it('a real fast shutdown (what Ctrl-C does to a postmaster) under a running query, Ctrl-C handled after it: interrupted', async ({
    ws,
  }) => {
    const server = await startRestartableServer();
    try {
      const file = await ws.writeChecklist(
        stagingChecklist(
          'real-shutdown-test',
          `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: slow, kind: sql, title: Slow query, query: "select 1 as one from pg_sleep(30)", expect: { rows: [[1]] } }`,
        ),
      );
      const controller = new AbortController();
      const running = runOnStaging(file, ws.stateDir, server.url, controller.signal);
      const watcher = Database.connect(server.url, { max: 1 });
      await vi.waitFor(
        async () => {
          const { rows } = await watcher.query(
            "select 1 from pg_stat_activity where query like 'select 1 as one from pg_sleep(30)%'",
          );
          if (rows.length === 0) throw new Error('the query is not running yet');
        },
        { timeout: 10_000, interval: 50 },
      );
      await watcher.close();
      await server.fastStop();
      await sleep(200);
      controller.abort();
      const result = await running;

      expect((result.error as ShipcheckError | undefined)?.exitCode, result.error?.message).toBe(ExitCode.interrupted);
      const events = await ws.events(result.runId!);
      expect(stepFinished(events, 'slow')).toBe(false);
      expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: 'slow' });
    } finally {
      await server.stop();
    }
  });
});
