import { expect } from 'vitest';
import { Database } from '../../src/db/database.js';

/**
 * Two sessions each lock one row of a table of their own (created if missing), then wait for the
 * other's: PostgreSQL aborts one of them, and the database's deadlock counter goes up by one.
 * `holdMs`: how long each waits between its two locks, so that both hold their first.
 */
export async function causeDeadlock(url: string, holdMs = 200): Promise<void> {
  const db = Database.connect(url, { max: 2 });
  try {
    await db.query('create table if not exists deadlock_probe (id int primary key)');
    await db.query('insert into deadlock_probe values (1), (2) on conflict do nothing');
    const session = (first: number, second: number) =>
      db.transaction(async (tx) => {
        await tx.query('update deadlock_probe set id = id where id = $1', [first]);
        await new Promise((resolve) => setTimeout(resolve, holdMs));
        await tx.query('update deadlock_probe set id = id where id = $1', [second]);
      });
    const results = await Promise.allSettled([session(1, 2), session(2, 1)]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  } finally {
    await db.close();
  }
}
