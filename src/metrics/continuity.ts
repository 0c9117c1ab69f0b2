import type { Sample } from './sample.js';

/** What a sample found had happened to the server since the previous sample. */
export interface ServerChange {
  /** The sample that found it. */
  readonly at: string;
  /** The previous sample: the change happened in between. */
  readonly since: string;
  /** Counts for max_server_restarts: the postmaster restarted, or crash recovery reinitialised it. */
  readonly restart: boolean;
  /** The counters started again from zero: the window's figures were re-based on what it had counted. */
  readonly statsLost: boolean;
  readonly description: string;
}

const counters = ['deadlocks', 'xactCommit', 'xactRollback', 'functionCalls', 'functionTotalMs'] as const;
type Counter = (typeof counters)[number];
const functionCounters: readonly Counter[] = ['functionCalls', 'functionTotalMs'];

/** What the window carries from sample to sample to add its counts up across resets. */
export interface Continuity {
  /** The latest sample as the server gave it. */
  readonly last: Sample;
  /** Added to the server's counters: what the window had counted before they restarted from zero. */
  readonly offsets: Readonly<Record<Counter, number>>;
  readonly restarts: number;
}

export function startContinuity(first: Sample): Continuity {
  return {
    last: first,
    offsets: { deadlocks: 0, xactCommit: 0, xactRollback: 0, functionCalls: 0, functionTotalMs: 0 },
    restarts: 0,
  };
}

/** The latest sample with the window's offsets added, as continueWith returned it. */
export function rebased(continuity: Continuity): Sample {
  const { last, offsets } = continuity;
  return {
    ...last,
    deadlocks: last.deadlocks + offsets.deadlocks,
    xactCommit: last.xactCommit + offsets.xactCommit,
    xactRollback: last.xactRollback + offsets.xactRollback,
    functionCalls: last.functionCalls === null ? null : last.functionCalls + offsets.functionCalls,
    functionTotalMs: last.functionTotalMs === null ? null : last.functionTotalMs + offsets.functionTotalMs,
    serverRestarts: continuity.restarts,
  };
}

/**
 * Takes the next sample into the window. PostgreSQL throws its counters away on a crash
 * (an immediate shutdown, a backend killed by the OOM killer) and on pg_stat_reset(): the
 * counters then restart from zero, and a plain difference with the window's first sample
 * goes negative ("deadlocks -1") and hides what happened after. Here counts after a reset
 * add to what the window had counted before, and the restart itself is counted.
 *
 * @example
 * const { continuity, sample, change } = continueWith(previous, await takeSample(db));
 * windowFigures(start, sample) // deadlocks before the crash + deadlocks after it
 */
export function continueWith(
  continuity: Continuity,
  raw: Sample,
): { continuity: Continuity; sample: Sample; change?: ServerChange } {
  const { last } = continuity;
  const restarted = raw.serverStartedAt !== last.serverStartedAt;
  const resetOnPurpose = raw.statsReset !== null && raw.statsReset !== last.statsReset;
  // Crash recovery stamps the shared statistics; counters that went back tell the same on a busy server.
  const discarded = raw.sharedStatsReset !== last.sharedStatsReset;
  const wentBack =
    raw.deadlocks < last.deadlocks || raw.xactCommit < last.xactCommit || raw.xactRollback < last.xactRollback;
  const statsLost = resetOnPurpose || discarded || wentBack || raw.statsReset !== last.statsReset;
  // Counters thrown away without anyone resetting them and without a new postmaster: crash recovery.
  const restart = restarted || (statsLost && !resetOnPurpose);
  // pg_stat_statements_reset(), or the function dropped and created again, resets only the function's figures.
  const functionWentBack =
    (raw.functionCalls ?? 0) < (last.functionCalls ?? 0) || (raw.functionTotalMs ?? 0) < (last.functionTotalMs ?? 0);
  const offsets = { ...continuity.offsets };
  for (const counter of counters) {
    const rebase = statsLost || (functionCounters.includes(counter) && functionWentBack);
    if (rebase) offsets[counter] += last[counter] ?? 0;
  }
  const next: Continuity = { last: raw, offsets, restarts: continuity.restarts + (restart ? 1 : 0) };
  const sample = rebased(next);
  if (!restart && !statsLost) return { continuity: next, sample };
  return {
    continuity: next,
    sample,
    change: {
      at: raw.at,
      since: last.at,
      restart,
      statsLost,
      description: describeChange(raw, last, restarted, resetOnPurpose, statsLost),
    },
  };
}

function describeChange(
  raw: Sample,
  last: Sample,
  restarted: boolean,
  resetOnPurpose: boolean,
  statsLost: boolean,
): string {
  const lost = `its statistics were lost, so counts from here add to the window's; what happened between ${last.at} and the ${restarted ? 'restart' : 'reset'} is not counted`;
  if (restarted && statsLost)
    return `the server restarted at ${raw.serverStartedAt} after a crash or an immediate shutdown: ${lost}`;
  if (restarted) return `the server restarted at ${raw.serverStartedAt} (a clean shutdown: its statistics were kept)`;
  if (resetOnPurpose)
    return `the server's statistics were reset at ${raw.statsReset} (pg_stat_reset): counts from here add to the window's`;
  return `the server went through crash recovery (a backend died and every connection was ended): ${lost}`;
}
