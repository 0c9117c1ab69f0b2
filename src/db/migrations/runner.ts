import { CheckFailedError, DatabaseError, UsageError } from '../../errors.js';
import { migrationsDir } from '../../paths.js';
import { withAdvisoryLock, withTransactionLock } from '../advisoryLock.js';
import type { Database, Queryable } from '../database.js';
import { inLockedTransaction } from '../lockedTransaction.js';
import { behindTransactionPooler } from '../poolerDetection.js';
import { assertTransactionIntact, inTransaction } from '../transaction.js';
import { type ApplyOptions, type ApplyReport, applyMigrationScript, runsInOneTransaction } from './applyScript.js';
import { type MigrationFile, readFolder, readMigrations } from './files.js';
import { type FolderSpec, namesMigration } from './formats.js';
import { shieldSource } from './history.js';
import { type HistoryStore, historyStore } from './historyStores.js';

export { type AppliedMigration, migrationStatus, shieldSource } from './history.js';

/** The advisory lock every migration writer takes on the target database. */
export const migrationLockName = 'shipcheck.migrations';

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations that were already in the history table. */
  alreadyApplied: string[];
  /** What each applied migration did, statement by statement (locks, rewrites, time), by id. */
  reports: Record<string, ApplyReport>;
}

export interface MigrationOptions {
  /** Defaults to the package's own `db/migrations`. */
  directory?: string;
  /** The history namespace; default Shield's (`shield`). A team's folder gets a name of its own. */
  source?: string;
  /** A folder of another format (supabase, flyway, plain); wins over `directory`. Its history is that tool's table. */
  folder?: FolderSpec;
}

/** How pending migrations are applied: ApplyOptions, with the source defaulted and the transaction said plainly. */
export type PendingOptions = Omit<ApplyOptions, 'source' | 'transaction'> & {
  readonly source?: string;
  /** False: the caller owns the transaction (a rehearsal). */
  readonly eachInTransaction: boolean;
  /**
   * Whether pending migrations before the target may be applied with it: true (default), false,
   * or the ids/names that may. Checked against the history, so a refusal changes nothing.
   */
  readonly allowEarlier?: boolean | readonly string[];
};

/** A migrate that would apply pending migrations before its target the checklist did not allow. */
export class EarlierPendingError extends CheckFailedError {
  constructor(
    target: MigrationFile,
    readonly pending: readonly MigrationFile[],
  ) {
    super(
      `applying ${target.name} would first apply ${pending.length === 1 ? 'the earlier pending migration' : `${pending.length} earlier pending migrations`} ${pending.map((m) => m.name).join(', ')}; nothing was applied`,
      {
        code: 'earlier_pending',
        hint: 'apply them in steps of their own, or allow them on this step (allow_earlier: true, or a list of their ids)',
      },
    );
  }
}

/**
 * Applies every pending migration up to and including `to`, each in its own
 * transaction, under an advisory lock. Re-running applies nothing twice; an
 * applied migration whose file has changed since is refused.
 *
 * @example
 * await migrate(db, { to: '024' });
 */
export async function migrate(db: Database, options: MigrationOptions & { to?: string } = {}): Promise<MigrateResult> {
  const migrations = await readFrom(options);
  const target = options.to === undefined ? migrations.at(-1) : findMigration(migrations, options.to);
  if (target === undefined) return { applied: [], alreadyApplied: [], reports: {} };
  const source = options.source ?? shieldSource;
  const history = storeFor(options);
  if (await behindTransactionPooler(db)) return migrateBehindPooler(db, migrations, target, source, history);
  return withAdvisoryLock(
    db,
    migrationLockName,
    (client) => applyPending(client, migrations, target, { eachInTransaction: true, source, history }),
    {
      wait: true,
    },
  );
}

/**
 * `migrate` through a transaction-mode pooler, where a session lock would be taken on one server
 * connection and released on another: each pending migration is applied in a transaction of
 * its own that first takes the migrations lock transaction-scoped, then reads the history
 * (so a concurrent migrate that got there first is seen, and nothing is applied twice). A
 * pending migration that must run outside a transaction is refused before anything runs.
 */
async function migrateBehindPooler(
  db: Database,
  migrations: readonly MigrationFile[],
  target: MigrationFile,
  source: string,
  history: HistoryStore,
): Promise<MigrateResult> {
  const upTo = migrations.slice(0, migrations.findIndex((m) => m.id === target.id) + 1);
  const applied = await history.read(db, migrations).catch(() => new Map<string, unknown>());
  for (const migration of upTo) {
    if (applied.has(migration.id) || (await runsInOneTransaction(migration))) continue;
    throw new UsageError(
      `${migration.name} must run outside a transaction, and this connection goes through a transaction-mode pooler (one client connection is not one server session): it cannot be applied under a lock here; nothing was applied`,
      {
        code: 'pooler_session_needed',
        hint: 'apply it on a direct or session-mode connection to the same database: db migrate --direct-connection-env NAME, or direct_connection_env in the checklist environment',
      },
    );
  }
  const result: MigrateResult = { applied: [], alreadyApplied: [], reports: {} };
  for (const migration of upTo) {
    const step = await withTransactionLock(
      db,
      migrationLockName,
      (tx) => applyPending(tx, migrations, migration, { eachInTransaction: false, source, history }),
      { wait: true },
    );
    result.applied.push(...step.applied);
    Object.assign(result.reports, step.reports);
  }
  result.alreadyApplied = upTo.map((m) => m.id).filter((id) => !result.applied.includes(id));
  return result;
}

/**
 * `migrate` on one given connection, for callers that watch what the server answers
 * (the migrate step) or own the transaction (the rehearsal). With `eachInTransaction`
 * every migration commits on its own; without, the caller owns the transaction.
 * The caller holds the advisory lock (`migrationLockName`) when it needs one.
 */
export async function applyPending(
  client: Queryable,
  migrations: readonly MigrationFile[],
  target: MigrationFile,
  options: PendingOptions,
): Promise<MigrateResult> {
  const source = options.source ?? shieldSource;
  const store = options.history ?? historyStore('shipcheck', source);
  await store.ensure(client);
  const history = await store.read(client, migrations);
  assertUnchanged(migrations, history, store);
  const upTo = migrations.slice(0, migrations.findIndex((m) => m.id === target.id) + 1);
  const allowed = options.allowEarlier ?? true;
  if (allowed !== true) {
    const refused = upTo.filter(
      (m) =>
        m.id !== target.id &&
        !history.has(m.id) &&
        !(allowed !== false && allowed.some((ref) => namesMigration(m, ref))),
    );
    if (refused.length > 0) throw new EarlierPendingError(target, refused);
  }
  const result: MigrateResult = { applied: [], alreadyApplied: [], reports: {} };
  for (const migration of upTo) {
    if (history.has(migration.id)) {
      result.alreadyApplied.push(migration.id);
      continue;
    }
    result.reports[migration.id] = await applyMigrationScript(client, migration, {
      ...options,
      source,
      history: store,
      transaction: options.eachInTransaction ? 'own' : 'caller',
    });
    result.applied.push(migration.id);
  }
  return result;
}

/** Reverts the newest applied migration, which must be `id`. */
export async function revert(db: Database, id: string, options: MigrationOptions = {}): Promise<void> {
  const migrations = await readFrom(options);
  const store = storeFor(options);
  const migration = findMigration(migrations, id);
  if (migration.revertSql === undefined) {
    throw new UsageError(`migration ${migration.name} has no revert script (${migration.name}.revert.sql)`);
  }
  // One transaction: the history read and the revert, under the migrations lock (transaction-scoped behind a pooler).
  await inLockedTransaction(
    db,
    migrationLockName,
    async (client) => {
      await store.ensure(client);
      const history = await store.read(client, migrations);
      if (!history.has(migration.id)) {
        throw new UsageError(`migration ${migration.name} is not applied; nothing to revert`);
      }
      // Newest in the folder's order (Flyway's 1.10 comes after 1.9).
      const newest = migrations.filter((m) => history.has(m.id)).at(-1)?.id ?? [...history.keys()].sort().at(-1);
      if (newest !== migration.id) {
        throw new UsageError(
          `migration ${migration.id} is not the newest applied one (${newest} is); revert that first`,
        );
      }
      await revertMigration(client, migration, store);
    },
    { wait: true },
  );
}

/** Runs one migration's revert script and removes its history row; the caller owns the transaction. */
export async function revertMigration(
  client: Queryable,
  migration: MigrationFile,
  history: string | HistoryStore = shieldSource,
): Promise<void> {
  if (migration.revertSql === undefined) throw new UsageError(`migration ${migration.name} has no revert script`);
  await runScript(client, migration.revertSql, `${migration.name}.revert.sql`);
  await assertTransactionIntact(client);
  const store = typeof history === 'string' ? historyStore('shipcheck', history) : history;
  await store.forget(client, migration);
}

/**
 * Runs a migration's verify script inside a transaction that is always rolled
 * back. Throws CheckFailedError with the script's own message when it fails.
 */
export async function verify(db: Database, id: string, options: MigrationOptions = {}): Promise<void> {
  const migration = findMigration(await readFrom(options), id);
  await db.withClient((client) => verifyMigration(client, migration, { ownTransaction: true }));
}

/**
 * Runs a verify script on `client`; with ownTransaction it wraps it in a transaction that
 * is rolled back, otherwise the caller owns the transaction (opened by inTransaction or withSavepoint).
 */
export async function verifyMigration(
  client: Queryable,
  migration: MigrationFile,
  options: { ownTransaction: boolean },
): Promise<void> {
  if (migration.verifySql === undefined) {
    throw new UsageError(`migration ${migration.name} has no verify script (${migration.name}.verify.sql)`);
  }
  if (options.ownTransaction) {
    await inTransaction(client, () => verifyMigration(client, migration, { ownTransaction: false }), {
      keep: () => false,
    });
    return;
  }
  try {
    await runScript(client, migration.verifySql, `${migration.name}.verify.sql`);
    await assertTransactionIntact(client);
  } catch (error) {
    if (error instanceof DatabaseError) {
      throw new CheckFailedError(`verify ${migration.name} failed: ${error.message}`, {
        code: 'verify_failed',
        ...(error.detail !== undefined && { detail: error.detail }),
        ...(error.hint !== undefined && { hint: error.hint }),
      });
    }
    throw error;
  }
}

export async function loadMigration(id: string, options: MigrationOptions = {}): Promise<MigrationFile> {
  return findMigration(await readFrom(options), id);
}

/** The migrations of `options`' folder, in the order they apply. */
export function readFrom(options: MigrationOptions): Promise<MigrationFile[]> {
  return options.folder ? readFolder(options.folder) : readMigrations(options.directory ?? migrationsDir);
}

/** The history `options`' migrations are recorded in. */
export function storeFor(options: MigrationOptions): HistoryStore {
  return historyStore(options.folder?.format ?? 'shipcheck', options.source ?? shieldSource);
}

function findMigration(migrations: readonly MigrationFile[], id: string): MigrationFile {
  const found = migrations.find((m) => namesMigration(m, id));
  if (!found) {
    const known = migrations.map((m) => m.id).join(', ') || 'none';
    throw new UsageError(`no migration "${id}" (known: ${known})`);
  }
  return found;
}

function assertUnchanged(
  migrations: readonly MigrationFile[],
  history: Map<string, string | undefined>,
  store: HistoryStore,
): void {
  for (const migration of migrations) {
    const recorded = history.get(migration.id);
    if (recorded !== undefined && recorded !== migration.checksum) {
      throw new UsageError(
        `migration ${migration.name} was edited after it was applied (checksum differs from ${store.table}: ${recorded})`,
        {
          code: 'migration_changed',
          hint: 'write a new migration instead of editing an applied one',
        },
      );
    }
  }
}

async function runScript(client: Queryable, sql: string, fileName: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    if (error instanceof DatabaseError) {
      throw new DatabaseError(`${fileName}: ${error.message}`, {
        ...(error.sqlState !== undefined && { sqlState: error.sqlState }),
        ...(error.detail !== undefined && { detail: error.detail }),
        ...(error.hint !== undefined && { hint: error.hint }),
        ...(error.position !== undefined && { position: error.position }),
        sql,
        cause: error,
      });
    }
    throw error;
  }
}
