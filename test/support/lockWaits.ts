import { vi } from 'vitest';
import type { Queryable } from '../../src/db/database.js';

/**
 * Sessions of one database waiting for a lock (by default the database `db` is connected to).
 * Other tests run at the same time on the same server: their waiters, in their own databases,
 * must not count.
 */
export async function lockWaiters(db: Queryable, database?: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from pg_catalog.pg_stat_activity
      where datname = coalesce($1, pg_catalog.current_database()) and wait_event_type = 'Lock'`,
    [database ?? null],
  );
  return rows[0]!.n;
}

/** Resolves once at least `count` sessions of the database wait for a lock; a load delays it, never fails it early. */
export async function untilLockWaiters(
  db: Queryable,
  options: { count?: number; database?: string } = {},
): Promise<void> {
  const wanted = options.count ?? 1;
  await vi.waitFor(
    async () => {
      const waiting = await lockWaiters(db, options.database);
      if (waiting < wanted) throw new Error(`${waiting} of ${wanted} lock waiter(s) so far`);
    },
    { timeout: 10_000, interval: 20 },
  );
}
