import { performance } from 'node:perf_hooks';
import type { Database, Queryable } from './database.js';
import { redactSecrets } from './connectionString.js';
import { DatabaseError } from '../errors.js';

export interface BurstOutcome {
  readonly succeeded: number;
  readonly failed: number;
  readonly errors: readonly GroupedError[];
  /** Time each successful call spent on its connection, in ms (excludes waiting for a free connection). */
  readonly latenciesMs: readonly number[];
  /** From the start signal until the last call settled. */
  readonly wallMs: number;
}

/** Failures with the same SQLSTATE and message, counted once. */
export interface GroupedError {
  readonly message: string;
  readonly sqlState?: string;
  readonly count: number;
}

/**
 * Runs `calls` copies of `work` at once on `db`, each on its own pooled connection.
 * The pool is opened to `connections` connections first and every call waits on one
 * start signal, so the calls overlap for real instead of trickling in as connections
 * are established. Failures are counted, never thrown: the caller judges them.
 */
export async function runBurst(
  db: Database,
  options: { calls: number; connections: number; secrets: readonly string[] },
  work: (client: Queryable, index: number) => Promise<unknown>,
): Promise<BurstOutcome> {
  await openConnections(db, options.connections);
  const start = startSignal();
  const settled = Promise.allSettled(
    Array.from({ length: options.calls }, async (_, index) => {
      await start.opened;
      return db.withClient(async (client) => {
        const began = performance.now();
        await work(client, index);
        return performance.now() - began;
      });
    }),
  );
  const wallStart = performance.now();
  start.open();
  const results = await settled;
  const wallMs = performance.now() - wallStart;

  const latenciesMs: number[] = [];
  const errors = new Map<string, { message: string; sqlState?: string; count: number }>();
  for (const result of results) {
    if (result.status === 'fulfilled') {
      latenciesMs.push(result.value);
      continue;
    }
    const { message, sqlState } = describeFailure(result.reason, options.secrets);
    const key = `${sqlState ?? ''}\u0000${message}`;
    const group = errors.get(key) ?? { message, ...(sqlState !== undefined && { sqlState }), count: 0 };
    group.count++;
    errors.set(key, group);
  }
  return {
    succeeded: latenciesMs.length,
    failed: results.length - latenciesMs.length,
    errors: [...errors.values()].sort((a, b) => b.count - a.count),
    latenciesMs,
    wallMs,
  };
}

/** Holds `count` connections at the same time so the pool has them all open before the burst. */
async function openConnections(db: Database, count: number): Promise<void> {
  let held = 0;
  const everyoneHolds = startSignal();
  await Promise.all(
    Array.from({ length: count }, () =>
      db
        .withClient(async () => {
          if (++held === count) everyoneHolds.open();
          await everyoneHolds.opened;
        })
        .catch((error: unknown) => {
          // Let the connections already held go, or they would wait forever.
          everyoneHolds.open();
          throw error;
        }),
    ),
  );
}

function startSignal(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

function describeFailure(reason: unknown, secrets: readonly string[]): { message: string; sqlState?: string } {
  const message = redactSecrets(reason instanceof Error ? reason.message : String(reason), secrets);
  if (reason instanceof DatabaseError && reason.sqlState !== undefined) return { message, sqlState: reason.sqlState };
  return { message };
}
