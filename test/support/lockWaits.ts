import { vi } from 'vitest';
import type { Queryable } from '../../src/db/database.js';

/**
 * Resolves once a session of the database `db` is connected to waits for a lock; a load delays
 * it, never fails it early. Other tests run at the same time on the same server: their waiters,
 * in their own databases, do not count.
 */
export async function untilLockWaiters(db: Queryable): Promise<void> {
  await vi.waitFor(
    async () => {
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from pg_catalog.pg_stat_activity
          where datname = pg_catalog.current_database() and wait_event_type = 'Lock'`,
      );
      if (rows[0]!.n === 0) throw new Error('no session of this database waits for a lock yet');
    },
    { timeout: 10_000, interval: 20 },
  );
}
