import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError, LockHeldError } from '../errors.js';
import type { Database, Queryable } from './database.js';
import { sqlFile } from './sqlFile.js';

export interface AdvisoryLockOptions {
  /** Wait for the lock instead of failing at once when another session holds it. */
  readonly wait?: boolean;
  /** Ends the wait (the operator's Ctrl-C): the lock is not taken and `work` does not run. */
  readonly signal?: AbortSignal;
}

/**
 * Holds a session-level advisory lock while `work` runs, so two operators never
 * mutate the same target at once. Given the pool, it takes one dedicated connection
 * from it; given a connection (one that records command tags, say), it uses that one.
 * `work` receives the connection: run the mutating statements on it.
 *
 * @example
 * await withAdvisoryLock(db, 'shipcheck.migrations', (client) => client.query('…'), { wait: true, signal });
 */
export async function withAdvisoryLock<T>(
  target: Database | Queryable,
  lockName: string,
  work: (client: Queryable) => Promise<T>,
  options: AdvisoryLockOptions = {},
): Promise<T> {
  const locked = async (client: Queryable): Promise<T> => {
    if (options.wait) {
      await acquireAdvisoryLock(client, lockName, options.signal ? { signal: options.signal } : {});
    } else if (!(await tryAdvisoryLock(client, lockName))) {
      const holder = await describeLockHolder(client, lockName).catch(() => undefined);
      throw new LockHeldError(
        `another session holds the advisory lock "${lockName}" on this database${holder ? `: ${holder}` : ''}`,
        {
          code: advisoryLockHeld,
          hint: 'wait for the other run to finish, or find it in pg_locks (locktype = advisory)',
        },
      );
    }
    try {
      return await work(client);
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [lockName]).catch(() => {});
    }
  };
  return 'withClient' in target ? target.withClient(locked) : locked(target);
}

/**
 * Holds a transaction-scoped advisory lock while `work` runs inside one transaction: the lock
 * is taken by the transaction's first statement and released by its COMMIT or ROLLBACK, on
 * the same server connection whatever pooler sits between. The one lock that is safe behind
 * a transaction-mode pooler; `work` must do everything in the transaction it is given.
 *
 * @example
 * await withTransactionLock(db, 'shipcheck.migrations', (tx) => tx.query('…'), { wait: true });
 */
export async function withTransactionLock<T>(
  db: Database,
  lockName: string,
  work: (tx: Queryable) => Promise<T>,
  options: AdvisoryLockOptions = {},
): Promise<T> {
  return db.transaction(async (tx) => {
    await takeTransactionLock(tx, lockName, options);
    return work(tx);
  });
}

/**
 * Takes the transaction-scoped advisory lock `lockName` in the transaction `tx` is in: waiting
 * (polled, so that `signal` ends the wait, like acquireAdvisoryLock) or refusing at once.
 */
export async function takeTransactionLock(
  tx: Queryable,
  lockName: string,
  options: AdvisoryLockOptions = {},
): Promise<void> {
  const attempt = async () =>
    (
      await tx.query<{ locked: boolean }>('select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked', [
        lockName,
      ])
    ).rows[0]?.locked === true;
  if (!options.wait) {
    if (await attempt()) return;
    throw new LockHeldError(`another session holds the advisory lock "${lockName}" on this database`, {
      code: advisoryLockHeld,
      hint: 'wait for the other run to finish, or find it in pg_locks (locktype = advisory)',
    });
  }
  const { signal } = options;
  if (!signal) {
    await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [lockName]);
    return;
  }
  for (let pauseMs = 25; ; pauseMs = Math.min(pauseMs * 2, maxPollMs)) {
    if (signal.aborted) throw lockWaitInterrupted(lockName);
    if (await attempt()) return;
    await sleep(pauseMs, undefined, { signal }).catch(() => {});
  }
}

/** The code of the refusal above: the lock was not taken and the work did not start. */
export const advisoryLockHeld = 'advisory_lock_held';

const lockHolderSql = sqlFile(import.meta.url, './sql/advisory_lock_holder.sql');

/** "shipcheck run migration-024 (pid 4242, user deploy, from 10.0.0.5, connected since …)", or undefined when it is gone. */
async function describeLockHolder(client: Queryable, lockName: string): Promise<string | undefined> {
  const { rows } = await client.query<{
    pid: number;
    application_name: string | null;
    usename: string | null;
    client_addr: string | null;
    backend_start: Date | null;
  }>(lockHolderSql, [lockName]);
  const holder = rows[0];
  if (!holder) return undefined;
  const facts = [
    `pid ${holder.pid}`,
    holder.usename && `user ${holder.usename}`,
    holder.client_addr && `from ${holder.client_addr}`,
    holder.backend_start && `connected since ${holder.backend_start.toISOString()}`,
  ];
  return `${holder.application_name || 'a session'} (${facts.filter(Boolean).join(', ')})`;
}

/** Longest pause between two attempts while another session holds the lock. */
const maxPollMs = 250;

/**
 * Takes the session-level advisory lock `lockName` on `client`, waiting while another
 * session holds it. Without a signal it waits in pg_advisory_lock (queued by the
 * server). With one it polls pg_try_advisory_lock instead, so that Ctrl-C ends the
 * wait at once: cancelling a pg_advisory_lock would need a second connection and could
 * cancel the next statement instead if the lock came just before the cancel did.
 *
 * @example
 * await acquireAdvisoryLock(connection, 'shipcheck.migrations', { signal });
 */
export async function acquireAdvisoryLock(
  client: Queryable,
  lockName: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const { signal } = options;
  if (!signal) {
    await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [lockName]);
    return;
  }
  for (let pauseMs = 25; ; pauseMs = Math.min(pauseMs * 2, maxPollMs)) {
    if (signal.aborted) throw lockWaitInterrupted(lockName);
    if (await tryAdvisoryLock(client, lockName)) return;
    await sleep(pauseMs, undefined, { signal }).catch(() => {});
  }
}

async function tryAdvisoryLock(client: Queryable, lockName: string): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    'select pg_try_advisory_lock(hashtextextended($1, 0)) as locked',
    [lockName],
  );
  return rows[0]?.locked === true;
}

function lockWaitInterrupted(lockName: string): InterruptedError {
  return new InterruptedError(
    `stopped waiting for the advisory lock "${lockName}": interrupted by the operator (Ctrl-C)`,
    {
      hint: 'another session still holds it; find it in pg_locks (locktype = advisory)',
    },
  );
}
