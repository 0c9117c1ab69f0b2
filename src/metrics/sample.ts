import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import type { FunctionName } from '../steps/shared/functionName.js';
import { countingTrackFunctions, type FunctionSource } from './functionSource.js';
import { readStatementCalls } from './statementCalls.js';

const sampleSql = sqlFile(import.meta.url, './sample.sql');

/** What a sample reads beyond the database's counters. */
export interface Watched {
  /** The function and where its figures come from (detectFunctionSource at the step's start). */
  readonly function?: { readonly name: FunctionName; readonly source: FunctionSource };
  /** schema.table whose lock waiters are counted apart. */
  readonly table?: string;
}

export interface Sample {
  readonly at: string;
  readonly deadlocks: number;
  readonly xactCommit: number;
  readonly xactRollback: number;
  readonly trackFunctions: string;
  readonly functionExists: boolean;
  /** null when not measured: no source of function figures, or the function does not exist. */
  readonly functionCalls: number | null;
  readonly functionTotalMs: number | null;
  readonly lockWaits: number;
  /** Lock waiters working on the watched table; null when no table is watched or it does not exist. */
  readonly tableLockWaits: number | null;
  /** When the statistics were last reset on purpose (pg_stat_reset); null when never. */
  readonly statsReset: string | null;
  /** pg_postmaster_start_time(): a change between two samples is a server restart. */
  readonly serverStartedAt: string;
  /** pg_stat_archiver.stats_reset: changes when crash recovery throws the statistics away. */
  readonly sharedStatsReset: string | null;
  /** Server restarts the window saw up to this sample (set by continueWith; absent on a raw sample). */
  readonly serverRestarts?: number;
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
  stats_reset: Date | null;
  server_started_at: Date;
  shared_stats_reset: Date | null;
}

/**
 * Reads the counters once. Runs outside any transaction on purpose: PostgreSQL
 * caches statistics for the length of a transaction, so each sample needs its own.
 * Backends flush their counters about once a second, so a sample lags by up to ~1 s
 * (pg_stat_statements is updated as each statement ends; it is read in a second query).
 */
export async function takeSample(db: Queryable, watched: Watched = {}): Promise<Sample> {
  const fn = watched.function;
  const { rows } = await db.query<SampleRow>(sampleSql, [
    fn?.name.schema ?? '',
    fn?.name.name ?? '',
    watched.table ?? null,
  ]);
  const row = rows[0]!;
  const figures = fn && row.function_exists ? await functionFigures(db, fn.source, row) : null;
  return {
    at: row.at.toISOString(),
    deadlocks: Number(row.deadlocks),
    xactCommit: Number(row.xact_commit),
    xactRollback: Number(row.xact_rollback),
    trackFunctions: row.track_functions,
    functionExists: row.function_exists,
    functionCalls: figures?.calls ?? null,
    functionTotalMs: figures?.totalMs ?? null,
    lockWaits: Number(row.lock_waits),
    tableLockWaits: row.table_lock_waits === null ? null : Number(row.table_lock_waits),
    statsReset: row.stats_reset === null ? null : row.stats_reset.toISOString(),
    serverStartedAt: row.server_started_at.toISOString(),
    sharedStatsReset: row.shared_stats_reset === null ? null : row.shared_stats_reset.toISOString(),
  };
}

async function functionFigures(
  db: Queryable,
  source: FunctionSource,
  row: SampleRow,
): Promise<{ calls: number; totalMs: number } | null> {
  switch (source.source) {
    case 'pg_stat_user_functions':
      // A function never called since the last reset has no pg_stat_user_functions row: that is 0 calls.
      return { calls: Number(row.function_calls ?? 0), totalMs: Number(row.function_total_ms ?? 0) };
    case 'pg_stat_statements':
      return readStatementCalls(db, source);
    case 'unavailable':
      return null;
  }
}

/**
 * Why function figures are missing, or undefined when they are measured. Without the
 * detected source, the sample's own track_functions tells (pg_stat_user_functions only).
 */
export function functionNotMeasured(
  sample: Sample,
  fn: FunctionName | undefined,
  source: FunctionSource = sourceOfSample(sample),
): string | undefined {
  if (!fn) return 'no function named in the step';
  if (source.source === 'unavailable') return source.reason;
  if (!sample.functionExists) return `${fn.qualified} does not exist`;
  return undefined;
}

function sourceOfSample(sample: Sample): FunctionSource {
  return countingTrackFunctions.includes(sample.trackFunctions)
    ? { source: 'pg_stat_user_functions', track_functions: sample.trackFunctions }
    : {
        source: 'unavailable',
        reason: `track_functions is '${sample.trackFunctions}' on this server, so pg_stat_user_functions stays empty (a superuser can ALTER SYSTEM SET track_functions = 'pl')`,
      };
}
