import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import type { FunctionName } from '../contract/spec.js';

const sampleSql = sqlFile(import.meta.url, './sample.sql');

export interface Sample {
  readonly at: string;
  readonly deadlocks: number;
  readonly xactCommit: number;
  readonly xactRollback: number;
  readonly trackFunctions: string;
  readonly functionExists: boolean;
  /** null when not measured: track_functions is 'none', or the function has not been called since a reset. */
  readonly functionCalls: number | null;
  readonly functionTotalMs: number | null;
  readonly lockWaits: number;
  /** Lock waiters working on the watched table; null when no table is watched or it does not exist. */
  readonly tableLockWaits: number | null;
}

interface SampleRow {
  at: Date;
  deadlocks: string;
  xact_commit: string;
  xact_rollback: string;
  track_functions: string;
  function_exists: boolean;
  function_calls: string | null;
  function_total_ms: number | null;
  lock_waits: string;
  table_lock_waits: string | null;
}

/**
 * Reads the counters once. Runs outside any transaction on purpose: PostgreSQL
 * caches statistics for the length of a transaction, so each sample needs its own.
 * Backends flush their counters about once a second, so a sample lags by up to ~1 s.
 */
export async function takeSample(db: Queryable, fn: FunctionName | undefined, table?: string): Promise<Sample> {
  const { rows } = await db.query<SampleRow>(sampleSql, [fn?.schema ?? '', fn?.name ?? '', table ?? null]);
  const row = rows[0]!;
  const measuredFunction = fn !== undefined && row.track_functions !== 'none' && row.function_exists;
  return {
    at: row.at.toISOString(),
    deadlocks: Number(row.deadlocks),
    xactCommit: Number(row.xact_commit),
    xactRollback: Number(row.xact_rollback),
    trackFunctions: row.track_functions,
    functionExists: row.function_exists,
    // A function never called since the last reset has no pg_stat_user_functions row: that is 0 calls.
    functionCalls: measuredFunction ? Number(row.function_calls ?? 0) : null,
    functionTotalMs: measuredFunction ? Number(row.function_total_ms ?? 0) : null,
    lockWaits: Number(row.lock_waits),
    tableLockWaits: row.table_lock_waits === null ? null : Number(row.table_lock_waits),
  };
}

/** Why function figures are missing, or undefined when they are measured. */
export function functionNotMeasured(sample: Sample, fn: FunctionName | undefined): string | undefined {
  if (!fn) return 'no function named in the step';
  if (sample.trackFunctions === 'none') {
    return "track_functions is 'none' on this server, so pg_stat_user_functions stays empty (a superuser can ALTER SYSTEM SET track_functions = 'pl')";
  }
  if (!sample.functionExists) return `${fn.qualified} does not exist`;
  return undefined;
}
