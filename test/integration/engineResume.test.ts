import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { interruptibleChecklist, onlyRunEvents, spawnShipcheck, timesStarted, waitForRunLog } from './engineProcess.js';
import { engineTest } from './engineSupport.js';

/** The test's own workspace and database, and the CLI on them. */
const it = engineTest({ migrateTo: '006' }).extend('cli', async ({ staging, ws }) => ({
  ws,
  shipcheck: (args: string[]) => spawnShipcheck(ws.stateDir, args, { STAGING_URL: staging.url }),
  runEvents: () => onlyRunEvents(ws.stateDir),
  waitFor: (predicate: (events: RunEvent[]) => boolean) => waitForRunLog(ws.stateDir, predicate),
}));
const started = timesStarted;

describe('resume after kill -9', () => {
  it('an idempotent step is re-run; a non-idempotent one stops the run until --retry-step', async ({
    cli: { ws, shipcheck, runEvents, waitFor },
  }) => {
    const marker = join(ws.dir, 'marker');
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, interruptibleChecklist(marker));

    // Kill point 1: inside the idempotent read-only step.
    const first = shipcheck(['run', file, '--env', 'staging']);
    await waitFor((events) => started(events, 'slow-check') === 1);
    first.kill();
    expect((await first.done).signal).toBe('SIGKILL');

    // The dead run's lease is stale: refused without --take-over (exit 4), naming the holder.
    const refused = await shipcheck(['run', file, '--env', 'staging']).done;
    expect(refused.code).toBe(4);
    expect(refused.err).toContain('has a stale lease of');

    // Kill point 2: resumed (the idempotent step runs again), then killed inside the non-idempotent command.
    const second = shipcheck(['run', file, '--env', 'staging', '--take-over']);
    await waitFor((events) => started(events, 'slow-command') === 1);
    second.kill();
    await second.done;
    let events = await runEvents();
    expect(started(events, 'slow-check')).toBe(2);
    expect(events.some((e) => e.type === 'lease_taken_over')).toBe(true);

    // Not repeated silently: without a TTY the run stops, telling how to decide (exit 6).
    const stopped = await shipcheck(['run', file, '--env', 'staging', '--take-over']).done;
    expect(stopped.code, stopped.err).toBe(6);
    expect(stopped.err).toContain(
      'step "slow-command" (Slow command) was interrupted mid-way and is not safe to repeat blindly',
    );
    expect(stopped.err).toContain('--retry-step slow-command');
    expect(started(await runEvents(), 'slow-command')).toBe(1);

    // The operator checked by hand and retries it: it finishes; finished steps are not repeated.
    await writeFile(marker, 'go');
    const runId =
      (await runEvents())[0]!.type === 'run_started' ? ((await runEvents())[0] as { runId: string }).runId : '';
    const resumed = await shipcheck(['resume', runId, '--retry-step', 'slow-command']).done;
    expect(resumed.code, resumed.err).toBe(0);
    events = await runEvents();
    expect(started(events, 'slow-check')).toBe(2);
    expect(started(events, 'slow-command')).toBe(2);
    expect(started(events, 'after')).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'passed' });
    expect(existsSync(join(ws.stateDir, 'leases', 'resume-test.staging.json'))).toBe(false);
  });
});
