import { round } from './latency.js';
import type { Sample } from './sample.js';

/** What happened between the first sample of a window and a later one. */
export interface WindowFigures {
  readonly elapsedMs: number;
  readonly deadlocks: number;
  readonly commits: number;
  readonly rollbacks: number;
  /** rollbacks / (commits + rollbacks); null without transactions. */
  readonly rollbackRate: number | null;
  readonly functionCalls: number | null;
  /** Mean execution time of the function's calls in the window; null without calls or not measured. */
  readonly meanExecMs: number | null;
  /** Lock waits seen at the later sample. */
  readonly lockWaits: number;
  /** Of those, on the watched table (the monitor's lock_table); null when not watched. */
  readonly tableLockWaits: number | null;
  /** Server restarts (or crash recoveries) between the two samples. */
  readonly serverRestarts: number;
}

/**
 * Between two samples: from the window's start for the criteria (a spike is not averaged
 * away sample by sample, nor missed between two), from the previous sample for the charts.
 */
export function windowFigures(start: Sample, now: Sample): WindowFigures {
  const commits = now.xactCommit - start.xactCommit;
  const rollbacks = now.xactRollback - start.xactRollback;
  const calls =
    now.functionCalls === null || start.functionCalls === null
      ? null
      : Math.max(0, now.functionCalls - start.functionCalls);
  const totalMs =
    now.functionTotalMs === null || start.functionTotalMs === null ? null : now.functionTotalMs - start.functionTotalMs;
  return {
    elapsedMs: Date.parse(now.at) - Date.parse(start.at),
    deadlocks: now.deadlocks - start.deadlocks,
    commits,
    rollbacks,
    rollbackRate: commits + rollbacks > 0 ? round(rollbacks / (commits + rollbacks), 4) : null,
    functionCalls: calls,
    // A counter reset inside the window (pg_stat_reset, pg_stat_statements_reset) leaves no mean.
    meanExecMs: calls && totalMs !== null && totalMs >= 0 ? round(totalMs / calls, 3) : null,
    lockWaits: now.lockWaits,
    tableLockWaits: now.tableLockWaits,
    serverRestarts: (now.serverRestarts ?? 0) - (start.serverRestarts ?? 0),
  };
}
