import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { RunEvent, StepCheckpoint, StepFinished } from '../../src/engine/events.js';
import { onlyRunEvents, spawnShipcheck, waitForRunLog } from './engineProcess.js';
import { causeDeadlock } from '../support/deadlock.js';
import type { TestDatabase } from '../support/database.js';
import { engineTest, stagingChecklist, type Workspace } from './engineSupport.js';

/**
 * A monitor window survives a restart of shipcheck: kill -9 mid-window, resume, and the same
 * window goes on to its planned end with the samples taken before, the gap recorded.
 * Before, a resumed monitor watched a new window from zero.
 */
const it = engineTest({ migrateTo: 'none' });

function checklist(watch: string): string {
  return stagingChecklist(
    'monitor-resume',
    `  - id: watch
    title: Watch
    environment: staging
    steps:
      - id: watch
        kind: monitor
        title: Watch the database
        interval: 300ms
        criteria: { max_deadlocks: 0 }
        ${watch}`,
  );
}

const checkpoints = (events: readonly RunEvent[]) =>
  events
    .filter((e): e is StepCheckpoint => e.type === 'step_checkpoint')
    .map((e) => e.data as { kind: string; ends_at?: string; point?: { at: string } });

async function killMidWindow(
  { staging, ws }: { staging: TestDatabase; ws: Workspace },
  file: string,
): Promise<{ endsAt: number; samplesBefore: string[] }> {
  const first = spawnShipcheck(ws.stateDir, ['run', file, '--env', 'staging'], { STAGING_URL: staging.url });
  const events = await waitForRunLog(ws.stateDir, (e) => checkpoints(e).filter((c) => c.kind === 'sample').length >= 3);
  first.kill();
  expect((await first.done).signal).toBe('SIGKILL');
  const saved = checkpoints(await onlyRunEvents(ws.stateDir));
  expect(events.some((e) => e.type === 'step_finished')).toBe(false);
  return { endsAt: Date.parse(saved[0]!.ends_at!), samplesBefore: saved.flatMap((c) => (c.point ? [c.point.at] : [])) };
}

const resume = ({ staging, ws }: { staging: TestDatabase; ws: Workspace }) =>
  spawnShipcheck(ws.stateDir, ['run', join(ws.dir, 'checklist.yaml'), '--env', 'staging', '--take-over'], {
    STAGING_URL: staging.url,
  }).done;

// Each test has its own database and state dir, and most of each is waiting on its window.
describe.concurrent('a monitor window across kill -9 of shipcheck', () => {
  it('continues the same window to its planned end, with the earlier samples and the gap', async ({ staging, ws }) => {
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, checklist('duration: 9s'));
    const { endsAt, samplesBefore } = await killMidWindow({ staging, ws }, file);
    await new Promise((r) => setTimeout(r, 1000));

    const resumed = await resume({ staging, ws });
    expect(resumed.code, resumed.err).toBe(0);
    const events = await onlyRunEvents(ws.stateDir);
    const finished = events.find((e): e is StepFinished => e.type === 'step_finished' && e.stepId === 'watch')!;
    expect(finished.status).toBe('passed');
    // The planned end, not a new 9 s window from the resume.
    expect(Date.parse(finished.at)).toBeLessThan(endsAt + 4000);
    const observed = finished.outcome!.observed as {
      samples: { at: string }[];
      gaps: { from: string; to: string }[];
      window_ms: number;
    };
    expect(observed.samples.map((s) => s.at)).toEqual(expect.arrayContaining(samplesBefore));
    expect(observed.gaps).toHaveLength(1);
    expect(Date.parse(observed.gaps[0]!.from)).toBe(Date.parse(samplesBefore.at(-1)!));
    expect(observed.window_ms).toBeGreaterThan(8000);
    expect(finished.outcome!.message).toMatch(/no samples from .* to .* \(shipcheck was not running\)/);
    expect(checkpoints(events).map((c) => c.kind)).toContain('window_resumed');
  }, 90_000);

  it('a deadlock inside the window while shipcheck was down still fails it after the resume', async ({
    staging,
    ws,
  }) => {
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, checklist('duration: 60s'));
    await killMidWindow({ staging, ws }, file);
    await causeDeadlock(staging.url, 150);

    const resumed = await resume({ staging, ws });
    expect(resumed.code).toBe(1);
    const finished = (await onlyRunEvents(ws.stateDir)).find(
      (e): e is StepFinished => e.type === 'step_finished' && e.stepId === 'watch',
    )!;
    expect(finished.status).toBe('failed');
    expect(finished.outcome!.message).toMatch(/^max_deadlocks breached: deadlocks 1 > 0/);
  }, 90_000);

  it('on_resume: restart watches a new window instead', async ({ staging, ws }) => {
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, checklist('duration: 4s\n        on_resume: restart'));
    const { samplesBefore } = await killMidWindow({ staging, ws }, file);
    await causeDeadlock(staging.url, 150);

    const resumed = await resume({ staging, ws });
    expect(resumed.code, resumed.err).toBe(0);
    const events = await onlyRunEvents(ws.stateDir);
    const finished = events.find((e): e is StepFinished => e.type === 'step_finished' && e.stepId === 'watch')!;
    const observed = finished.outcome!.observed as { samples: { at: string }[]; gaps: unknown[] };
    expect(observed.samples.map((s) => s.at)).not.toContain(samplesBefore[0]);
    expect(observed.gaps).toEqual([]);
    expect(events.some((e) => e.type === 'step_progress' && e.message.startsWith('on_resume: restart'))).toBe(true);
  }, 90_000);
});
