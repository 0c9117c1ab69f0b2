import { LockHeldError } from '../errors.js';
import type { Database, Queryable } from './database.js';

/**
 * Holds a session-level advisory lock on one dedicated connection while `work`
 * runs, so two operators never mutate the same target at once. `work` receives
 * that connection: run the mutating statements on it.
 */
export async function withAdvisoryLock<T>(
  db: Database,
  lockName: string,
  work: (client: Queryable) => Promise<T>,
  options: { wait?: boolean } = {},
): Promise<T> {
  return db.withClient(async (client) => {
    if (options.wait) {
      await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [lockName]);
    } else {
      const { rows } = await client.query<{ locked: boolean }>(
        'select pg_try_advisory_lock(hashtextextended($1, 0)) as locked',
        [lockName],
      );
      if (!rows[0]?.locked) {
        throw new LockHeldError(`another session holds the advisory lock "${lockName}" on this database`, {
          hint: 'wait for the other run to finish, or find it in pg_locks (locktype = advisory)',
        });
      }
    }
    try {
      return await work(client);
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [lockName]).catch(() => {});
    }
  });
}
