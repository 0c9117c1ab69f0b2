import type { Queryable } from '../../db/database.js';
import type { StepContext } from '../types.js';

const savepoint = 'shipcheck_step';

/**
 * Runs `work` in a transaction the database itself keeps read-only (node-pg-migrate's
 * dry run: enforced, not hoped for). During a rehearsal the step
 * runs inside the rehearsal's transaction, so a savepoint plays that part:
 * `transaction_read_only` may be switched on mid-transaction, and rolling back to the
 * savepoint switches it off again for the steps that follow.
 */
export async function inReadOnlyTransaction<T>(context: StepContext, work: (client: Queryable) => Promise<T>): Promise<T> {
  const rehearsal = context.rehearsal?.client;
  if (rehearsal) {
    await rehearsal.query(`savepoint ${savepoint}`);
    try {
      await rehearsal.query('set local transaction_read_only = on');
      return await work(rehearsal);
    } finally {
      await rehearsal.query(`rollback to savepoint ${savepoint}`);
      await rehearsal.query(`release savepoint ${savepoint}`);
    }
  }
  return context.environment.db.withClient(async (client) => {
    await client.query('begin transaction isolation level repeatable read, read only');
    let result: T;
    try {
      result = await work(client);
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    }
    // COMMIT of a read-only transaction changes nothing, and unlike ROLLBACK it does not
    // count in pg_stat_database.xact_rollback, which the monitor's rollback rate watches.
    await client.query('commit');
    return result;
  });
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
  if (rehearsal) {
    await rehearsal.query(`savepoint ${savepoint}`);
    let result: T;
    try {
      result = await work(rehearsal);
    } catch (error) {
      await rehearsal.query(`rollback to savepoint ${savepoint}`).catch(() => {});
      await rehearsal.query(`release savepoint ${savepoint}`).catch(() => {});
      throw error;
    }
    if (!keep(result)) await rehearsal.query(`rollback to savepoint ${savepoint}`);
    await rehearsal.query(`release savepoint ${savepoint}`);
    return result;
  }
  return context.environment.db.withClient(async (client) => {
    await client.query('begin');
    let result: T;
    try {
      result = await work(client);
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    }
    await client.query(keep(result) ? 'commit' : 'rollback');
    return result;
  });
}
