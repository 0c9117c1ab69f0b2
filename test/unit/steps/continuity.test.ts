import { describe, expect, it } from 'vitest';
import { continueWith, startContinuity } from '../../../src/metrics/continuity.js';
import type { Sample } from '../../../src/metrics/sample.js';
import { windowFigures } from '../../../src/metrics/window.js';

const boot = '2026-01-01T00:00:00.000Z';
const shared = '2026-01-01T00:00:00.000Z';
const sample = (at: number, counters: Partial<Sample> = {}): Sample => ({
  at: new Date(Date.parse('2026-01-01T01:00:00Z') + at * 1000).toISOString(),
  deadlocks: 3,
  xactCommit: 1000,
  xactRollback: 10,
  trackFunctions: 'pl',
  functionExists: true,
  functionCalls: 50,
  functionTotalMs: 100,
  lockWaits: 0,
  tableLockWaits: null,
  statsReset: null,
  serverStartedAt: boot,
  sharedStatsReset: shared,
  ...counters,
});

/** The window's figures after feeding `samples` in order. */
function windowOver(samples: Sample[]) {
  let continuity = startContinuity(samples[0]!);
  let last = samples[0]!;
  const changes = [];
  for (const raw of samples.slice(1)) {
    const next = continueWith(continuity, raw);
    continuity = next.continuity;
    last = next.sample;
    if (next.change) changes.push(next.change);
  }
  return { figures: windowFigures(samples[0]!, last), changes };
}

describe('monitor counters across restarts and resets', () => {
  it('a crash (new postmaster, statistics thrown away): counts after it add to the window, the restart is counted', () => {
    const { figures, changes } = windowOver([
      sample(0),
      sample(1, { deadlocks: 3, xactCommit: 1100 }),
      sample(5, {
        deadlocks: 2,
        xactCommit: 40,
        xactRollback: 0,
        functionCalls: 5,
        functionTotalMs: 10,
        serverStartedAt: '2026-01-01T01:00:03Z',
        sharedStatsReset: '2026-01-01T01:00:03Z',
      }),
    ]);
    expect(figures).toMatchObject({ deadlocks: 2, commits: 140, functionCalls: 5, serverRestarts: 1 });
    expect(changes).toEqual([expect.objectContaining({ restart: true, statsLost: true })]);
  });

  it('crash recovery keeps the postmaster but stamps the shared statistics: a restart, re-based', () => {
    const { figures, changes } = windowOver([
      sample(0),
      sample(1, { deadlocks: 4, xactCommit: 5, sharedStatsReset: '2026-01-01T01:00:01Z' }),
    ]);
    // 4 deadlocks since the reset (all new) — even though the counter did not go down.
    expect(figures).toMatchObject({ deadlocks: 4, serverRestarts: 1 });
    expect(changes[0]!.description).toMatch(/crash recovery/);
  });

  it('a clean restart keeps the statistics: counted as a restart, nothing re-based', () => {
    const { figures, changes } = windowOver([
      sample(0),
      sample(5, { deadlocks: 4, xactCommit: 1200, serverStartedAt: '2026-01-01T01:00:03Z' }),
    ]);
    expect(figures).toMatchObject({ deadlocks: 1, commits: 200, serverRestarts: 1 });
    expect(changes).toEqual([expect.objectContaining({ restart: true, statsLost: false })]);
  });

  it('pg_stat_reset() is re-based but is not a restart', () => {
    const { figures, changes } = windowOver([
      sample(0),
      sample(1, { deadlocks: 0, xactCommit: 3, statsReset: '2026-01-01T01:00:00.500Z' }),
      sample(2, { deadlocks: 1, xactCommit: 9, statsReset: '2026-01-01T01:00:00.500Z' }),
    ]);
    expect(figures).toMatchObject({ deadlocks: 1, commits: 9, serverRestarts: 0 });
    expect(changes).toEqual([expect.objectContaining({ restart: false, statsLost: true })]);
  });

  it("pg_stat_statements_reset() (the function's counters only) re-bases them alone", () => {
    const { figures, changes } = windowOver([
      sample(0),
      sample(1, { functionCalls: 60, functionTotalMs: 120 }),
      sample(2, { functionCalls: 4, functionTotalMs: 8 }),
    ]);
    expect(figures).toMatchObject({ functionCalls: 14, deadlocks: 0, serverRestarts: 0 });
    expect(changes).toEqual([]);
  });

  it('nothing happened: plain differences, no change', () => {
    const { figures, changes } = windowOver([sample(0), sample(1, { deadlocks: 3, xactCommit: 1010 })]);
    expect(figures).toMatchObject({ deadlocks: 0, commits: 10, serverRestarts: 0 });
    expect(changes).toEqual([]);
  });
});
