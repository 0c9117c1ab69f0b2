import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, StepFinished } from '../../src/engine/events.js';
import { causeDeadlock } from '../support/deadlock.js';
import { monitoredChecklist, monitoredSystem, type MonitoredSystem } from './monitorFixtures.js';

describe('a monitor breach rolls the migration back by itself', () => {
  let system: MonitoredSystem;
  beforeAll(async () => {
    system = await monitoredSystem();
  });
  afterAll(async () => {
    await system?.close();
  });

  it('a deadlock during the window: run ROLLED BACK, function dropped, breach recorded with criterion and value', async () => {
    const events: RunEvent[] = [];
    let deadlock: Promise<void> | undefined;
    const result = await system.run(
      monitoredChecklist(
        'duration: 60s\ninterval: 300ms\ncriteria: { max_deadlocks: 0, max_function_error_rate: 0.01 }',
      ),
      (event) => {
        events.push(event);
        // The fault, once the monitor's window is open: two sessions deadlock on each other.
        if (event.type === 'step_progress' && event.stepId === 'watch' && event.message.startsWith('watching for')) {
          deadlock ??= causeDeadlock(system.database.url);
        }
      },
    );
    await deadlock;
    expect(result.error?.message).toMatch(/rolled back/i);
    expect(result.status).toBe('rolled_back');

    const watch = events.find((e): e is StepFinished => e.type === 'step_finished' && e.stepId === 'watch')!;
    expect(watch).toMatchObject({ status: 'failed', action: 'rollback' });
    expect(watch.outcome!.message).toMatch(/^max_deadlocks breached: deadlocks 1 > 0 after [\d.]+m?s$/);
    expect(watch.outcome!.observed).toMatchObject({ breaches: [{ criterion: 'max_deadlocks', limit: 0, value: 1 }] });
    expect(watch.durationMs).toBeLessThan(30_000);
    expect(events.find((e) => e.type === 'rollback_started')).toMatchObject({
      branch: 'function_related',
      triggeredBy: 'watch',
    });
    expect(
      events
        .filter((e) => e.type === 'step_finished' && ['drop-function', 'verify-removal'].includes(e.stepId))
        .map((e) => (e as StepFinished).status),
    ).toEqual(['passed', 'passed']);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'rolled_back' });

    const { rows } = await system.database.db.query<{ present: boolean }>(
      "select to_regprocedure('public.atomic_update_user_behavior(uuid, text, text, text, jsonb)') is not null as present",
    );
    expect(rows[0]!.present).toBe(false);
    // Every sample is in the log, as progress of the monitor step.
    expect(
      events.filter((e) => e.type === 'step_progress' && e.stepId === 'watch' && /deadlocks \d/.test(e.message)).length,
    ).toBeGreaterThan(0);
    // The baseline before it measured Shield on the legacy writer, race events included.
    const before = events.find((e): e is StepFinished => e.type === 'step_finished' && e.stepId === 'before')!;
    expect(before.outcome!.metrics).toMatchObject({ app_failure_rate: 0 });
    expect(before.outcome!.metrics!.app_latency_p95_ms).toBeGreaterThan(0);
    expect(before.outcome!.metrics!.race_events).toBeGreaterThanOrEqual(0);
  });
});
