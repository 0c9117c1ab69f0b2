import type { Database, Queryable } from './database.js';
import { inTransaction } from './transaction.js';

/**
 * Whether `db` reaches PostgreSQL through a transaction-mode pooler (PgBouncer or Supavisor
 * with pool_mode = transaction): one client connection is then not one server session, so a
 * session-level advisory lock taken on it can be released by another client, or never.
 *
 * The test, on two client connections A and B: A asks its backend pid; B opens a transaction
 * (pinning a server connection) and asks its own; A asks again. Directly, A keeps its pid
 * and B has another. Behind a transaction-mode pooler B is handed A's idle server connection
 * (the pooler reuses the last one first), or A's second statement lands on another backend.
 * A session-mode pooler pins a server connection per client and so passes as direct, which
 * it is for locking purposes. The answer is cached per Database (one per environment), and
 * a Database found behind such a pooler stops using named prepared statements.
 *
 * @example
 * if (await behindTransactionPooler(environment.db)) …
 */
export function behindTransactionPooler(db: Database): Promise<boolean> {
  let known = cache.get(db);
  if (!known) {
    known = probe(db);
    cache.set(db, known);
    // A failed probe (target down) is not an answer: the next call asks again.
    known.catch(() => cache.delete(db));
  }
  return known;
}

const cache = new WeakMap<Database, Promise<boolean>>();

/** Rounds of the test: one suffices behind an idle pooler; more cover a busy one. */
const rounds = 3;

async function probe(db: Database): Promise<boolean> {
  const pooled = await db.withClient((a) =>
    db.withSeparateClient(async (b) => {
      for (let round = 0; round < rounds; round++) {
        const before = await backendPid(a);
        // B's transaction pins B's server connection while A asks again.
        const pinned = await inTransaction(
          b,
          async () => {
            // Decided before A asks again: with one server connection in the pool, A would wait for B.
            if ((await backendPid(b)) === before) return true;
            return (await backendPid(a)) !== before;
          },
          { readOnly: true },
        );
        if (pinned) return true;
      }
      return false;
    }),
  );
  if (pooled) db.disablePreparedStatements();
  return pooled;
}

async function backendPid(client: Queryable): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return rows[0]!.pid;
}
