import type { Queryable } from '../../db/database.js';
import { inTransaction, withSavepoint } from '../../db/transaction.js';
import type { StepContext } from '../types.js';

/**
 * Runs `work` in a transaction the database itself keeps read-only (node-pg-migrate's
 * dry run: enforced, not hoped for). During a rehearsal the step runs inside the
 * rehearsal's transaction, so a read-only savepoint plays that part.
 */
export async function inReadOnlyTransaction<T>(
  context: StepContext,
  work: (client: Queryable) => Promise<T>,
): Promise<T> {
  const rehearsal = context.rehearsal?.client;
  if (rehearsal) return withSavepoint(rehearsal, work, { readOnly: true });
  return context.environment.db.withClient((client) =>
    inTransaction(client, work, { readOnly: true, isolation: 'repeatable read' }),
  );
}

/**
 * Runs `work` in a transaction that commits when it returns. During a rehearsal it
 * runs under a savepoint of the rehearsal transaction: its effects stay visible to
 * later rehearsed steps and are discarded with the rehearsal; on a throw only the
 * savepoint is rolled back, so the rehearsal can go on reporting.
 *
 * `keep` decides, from the result, whether the work is kept (committed / released)
 * or undone; by default it is kept.
 */
export async function inWriteTransaction<T>(
  context: StepContext,
  work: (client: Queryable) => Promise<T>,
  keep: (result: T) => boolean = () => true,
): Promise<T> {
  const rehearsal = context.rehearsal?.client;
  if (rehearsal) return withSavepoint(rehearsal, work, { keep });
  return context.environment.db.withClient((client) => inTransaction(client, work, { keep }));
}
