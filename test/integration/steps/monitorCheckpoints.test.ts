import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorStep } from '../../../src/steps/monitor.js';
import type { StepOutcome } from '../../../src/steps/types.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

/**
 * What a resumed monitor makes of the checkpoints an interrupted attempt left: the same window,
 * judged with what that attempt saw. (The kill -9 itself: test/integration/monitorResume.test.ts.)
 */
describe('monitor checkpoints', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
  });
  afterAll(async () => {
    await harness.close();
  });

  /** Runs the monitor, keeping what it records with context.checkpoint. */
  async function attempt(
    raw: Record<string, unknown>,
    earlier: unknown[] = [],
  ): Promise<{ outcome: StepOutcome; recorded: unknown[]; progress: string[] }> {
    const recorded: unknown[] = [];
    const progress: string[] = [];
    const context = {
      ...harness.context({ step: { id: 'watch', kind: 'monitor', title: 'Watch' } }),
      checkpoint: async (data: unknown) => void recorded.push(data),
      checkpoints: earlier,
      progress: (message: string) => void progress.push(message),
    };
    return { outcome: await monitorStep.run(monitorStep.schema.parse(raw), context), recorded, progress };
  }

  it('a breach the interrupted attempt saw at its last sample fails the window at once', async () => {
    const first = await attempt({ duration: '1s', interval: '250ms', criteria: { max_deadlocks: 0 } });
    expect(first.outcome.status).toBe('passed');
    const samples = first.recorded.filter((c) => (c as { kind: string }).kind === 'sample') as {
      last: { db: { deadlocks: number } };
    }[];
    // As if the process died right after recording a sample that saw a deadlock.
    const breached = { ...samples[1]!, last: { ...samples[1]!.last, db: { ...samples[1]!.last.db, deadlocks: 1 } } };
    const resumed = await attempt({ duration: '1h', interval: '250ms', criteria: { max_deadlocks: 0 } }, [
      first.recorded[0],
      samples[0],
      breached,
    ]);
    expect(resumed.outcome.status).toBe('failed');
    expect(resumed.outcome.message).toMatch(/^max_deadlocks breached: deadlocks 1 > 0/);
  });

  it('a window whose planned end passed while shipcheck was down is judged on one more sample, the gap recorded', async () => {
    const first = await attempt({ duration: '1s', interval: '250ms', criteria: { max_deadlocks: 0 } });
    const interrupted = first.recorded.slice(0, 3);
    const started = Date.now();
    const resumed = await attempt({ duration: '1s', interval: '250ms', criteria: { max_deadlocks: 0 } }, interrupted);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(resumed.outcome.status, resumed.outcome.message).toBe('passed');
    const observed = resumed.outcome.observed as { sample_count: number; gaps: unknown[] };
    expect(observed.sample_count).toBe(3);
    expect(observed.gaps).toHaveLength(1);
    expect(resumed.recorded.map((c) => (c as { kind: string }).kind)).toEqual(['window_resumed', 'sample']);
    expect(resumed.progress.some((p) => p.startsWith('continuing the window started at'))).toBe(true);
  });

  it('checkpoints that are not a window (an edited step, a damaged log) start a new window, saying so', async () => {
    const resumed = await attempt({ duration: '1s', interval: '250ms', criteria: { max_deadlocks: 0 } }, [
      { kind: 'something else' },
    ]);
    expect(resumed.outcome.status).toBe('passed');
    expect(resumed.progress[0]).toMatch(/^the interrupted attempt left no window to continue/);
    expect((resumed.recorded[0] as { kind: string }).kind).toBe('window_started');
  });
});
