import { type AdvisoryLockOptions, withAdvisoryLock, withTransactionLock } from './advisoryLock.js';
import type { Database, Queryable } from './database.js';
import { behindTransactionPooler } from './poolerDetection.js';
import { inTransaction } from './transaction.js';

/**
 * Runs `work` in one transaction under the advisory lock `lockName`. Directly, the lock is
 * session-level, taken before the transaction begins (the long-standing behaviour); behind a
 * transaction-mode pooler it is transaction-scoped (pg_advisory_xact_lock), taken by the
 * transaction's first statement and released by its end on the same server connection. Both
 * kinds conflict with each other on the same name, so runs of either kind exclude each other.
 *
 * @example
 * await inLockedTransaction(db, migrationLockName, (tx) => revertMigration(tx, m, store), { wait: true });
 */
export async function inLockedTransaction<T>(
  db: Database,
  lockName: string,
  work: (tx: Queryable) => Promise<T>,
  options: AdvisoryLockOptions = {},
): Promise<T> {
  if (await behindTransactionPooler(db)) return withTransactionLock(db, lockName, work, options);
  return withAdvisoryLock(db, lockName, (client) => inTransaction(client, () => work(client)), options);
}
