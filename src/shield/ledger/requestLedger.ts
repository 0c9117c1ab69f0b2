import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { UsageError } from '../../errors.js';
import { migration026Missing } from '../migration026.js';

const purgeSql = sqlFile(import.meta.url, './sql/purge_requests.sql');
const countSql = sqlFile(import.meta.url, './sql/count_requests.sql');

const ledgerNeeds = 'the idempotency ledger needs';

export const ledgerLimits = { maxDays: 36_500, maxBatchSize: 100_000, defaultBatchSize: 5_000 } as const;

export interface LedgerCount {
  /** Rows in the ledger. */
  readonly total: number;
  /** Rows created before the cutoff: what a purge would delete. */
  readonly older: number;
  /** ISO time of the oldest row, null when the ledger is empty. */
  readonly oldest: string | null;
  readonly cutoff: string;
}

export interface PurgeResult {
  readonly deleted: number;
  readonly batches: number;
  readonly cutoff: string;
}

/** The creation time before which requests are purged: `days` whole days before `now`. */
export function ledgerCutoff(days: number, now: Date = new Date()): Date {
  if (!Number.isInteger(days) || days < 1 || days > ledgerLimits.maxDays) {
    throw new UsageError(`--older-than must be a whole number of days from 1 to ${ledgerLimits.maxDays}, got ${days}`);
  }
  return new Date(now.getTime() - days * 86_400_000);
}

/**
 * What a purge of requests created before `cutoff` would delete (`--dry-run`).
 *
 * @example
 * const { older } = await countLedger(db, ledgerCutoff(30));
 */
export async function countLedger(db: Queryable, cutoff: Date): Promise<LedgerCount> {
  const { rows } = await db
    .query<{ total: string; older: string; oldest: Date | null }>(countSql, [cutoff.toISOString()])
    .catch((error: unknown) => Promise.reject(migration026Missing(error, ledgerNeeds)));
  const row = rows[0]!;
  return {
    total: Number(row.total),
    older: Number(row.older),
    oldest: row.oldest === null ? null : row.oldest.toISOString(),
    cutoff: cutoff.toISOString(),
  };
}

/**
 * Deletes idempotency-ledger rows created before `cutoff`, in batches of `batchSize`
 * (each its own transaction, skipping rows a running action holds), until none is
 * left. A repeat of a purged request then counts as a new action: keep the ledger at
 * least as long as clients may retry.
 *
 * @example
 * const { deleted } = await purgeLedger(db, ledgerCutoff(30), { onBatch: (n) => console.error(`${n} deleted`) });
 */
export async function purgeLedger(
  db: Queryable,
  cutoff: Date,
  options: { batchSize?: number; onBatch?: (deletedSoFar: number) => void; signal?: AbortSignal } = {},
): Promise<PurgeResult> {
  const batchSize = options.batchSize ?? ledgerLimits.defaultBatchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > ledgerLimits.maxBatchSize) {
    throw new UsageError(
      `--batch-size must be a whole number from 1 to ${ledgerLimits.maxBatchSize}, got ${batchSize}`,
    );
  }
  let deleted = 0;
  let batches = 0;
  for (;;) {
    // Between batches only: a batch in flight commits or rolls back as a whole.
    if (options.signal?.aborted) break;
    const { rowCount } = await db
      .query(purgeSql, [cutoff.toISOString(), batchSize])
      .catch((error: unknown) => Promise.reject(migration026Missing(error, ledgerNeeds)));
    batches++;
    deleted += rowCount;
    options.onBatch?.(deleted);
    if (rowCount < batchSize) break;
  }
  return { deleted, batches, cutoff: cutoff.toISOString() };
}
