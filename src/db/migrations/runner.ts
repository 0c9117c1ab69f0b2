import { CheckFailedError, DatabaseError, UsageError } from '../../errors.js';
import { migrationsDir } from '../../paths.js';
import { withAdvisoryLock } from '../advisoryLock.js';
import type { Database, Queryable } from '../database.js';
import { assertTransactionIntact, inTransaction } from '../transaction.js';
import { type ApplyOptions, type ApplyReport, applyMigrationScript } from './applyScript.js';
import { type MigrationFile, readMigrations } from './files.js';
import { ensureHistory, forgetApplied, readHistory, shieldSource } from './history.js';

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
}

/** How pending migrations are applied: ApplyOptions, with the source defaulted and the transaction said plainly. */
export type PendingOptions = Omit<ApplyOptions, 'source' | 'transaction'> & {
  readonly source?: string;
  /** False: the caller owns the transaction (a rehearsal). */
  readonly eachInTransaction: boolean;
};

/**
 * Applies every pending migration up to and including `to`, each in its own
 * transaction, under an advisory lock. Re-running applies nothing twice; an
 * applied migration whose file has changed since is refused.
 *
 * @example
 * await migrate(db, { to: '024' });
 */
export async function migrate(db: Database, options: MigrationOptions & { to?: string } = {}): Promise<MigrateResult> {
  const migrations = await readMigrations(options.directory ?? migrationsDir);
  const target = options.to === undefined ? migrations.at(-1) : findMigration(migrations, options.to);
  if (target === undefined) return { applied: [], alreadyApplied: [], reports: {} };
  const source = options.source ?? shieldSource;
  return withAdvisoryLock(db, migrationLockName, (client) => applyPending(client, migrations, target, { eachInTransaction: true, source }), {
    wait: true,
  });
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
  await ensureHistory(client);
  const history = await readHistory(client, source);
  assertUnchanged(migrations, history);
  const result: MigrateResult = { applied: [], alreadyApplied: [], reports: {} };
  for (const migration of migrations.filter((m) => m.id <= target.id)) {
    if (history.has(migration.id)) {
      result.alreadyApplied.push(migration.id);
      continue;
    }
    result.reports[migration.id] = await applyMigrationScript(client, migration, {
      ...options,
      source,
      transaction: options.eachInTransaction ? 'own' : 'caller',
    });
    result.applied.push(migration.id);
  }
  return result;
}

/** Reverts the newest applied migration, which must be `id`. */
export async function revert(db: Database, id: string, options: MigrationOptions = {}): Promise<void> {
  const source = options.source ?? shieldSource;
  const migrations = await readMigrations(options.directory ?? migrationsDir);
  const migration = findMigration(migrations, id);
  if (migration.revertSql === undefined) {
    throw new UsageError(`migration ${migration.name} has no revert script (${migration.name}.revert.sql)`);
  }
  await withAdvisoryLock(
    db,
    migrationLockName,
    async (client) => {
      await ensureHistory(client);
      const history = await readHistory(client, source);
      if (!history.has(migration.id)) {
        throw new UsageError(`migration ${migration.name} is not applied; nothing to revert`);
      }
      const newest = [...history.keys()].sort().at(-1);
      if (newest !== migration.id) {
        throw new UsageError(`migration ${migration.id} is not the newest applied one (${newest} is); revert that first`);
      }
      await inTransaction(client, () => revertMigration(client, migration, source));
    },
    { wait: true },
  );
}

/** Runs one migration's revert script and removes its history row; the caller owns the transaction. */
export async function revertMigration(client: Queryable, migration: MigrationFile, source: string = shieldSource): Promise<void> {
  if (migration.revertSql === undefined) throw new UsageError(`migration ${migration.name} has no revert script`);
  await runScript(client, migration.revertSql, `${migration.name}.revert.sql`);
  await assertTransactionIntact(client);
  await forgetApplied(client, source, migration.id);
}

/**
 * Runs a migration's verify script inside a transaction that is always rolled
 * back. Throws CheckFailedError with the script's own message when it fails.
 */
export async function verify(db: Database, id: string, options: MigrationOptions = {}): Promise<void> {
  const migrations = await readMigrations(options.directory ?? migrationsDir);
  const migration = findMigration(migrations, id);
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
    await inTransaction(client, () => verifyMigration(client, migration, { ownTransaction: false }), { keep: () => false });
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
  return findMigration(await readMigrations(options.directory ?? migrationsDir), id);
}

function findMigration(migrations: readonly MigrationFile[], id: string): MigrationFile {
  const found = migrations.find((m) => m.id === id || m.name === id);
  if (!found) {
    const known = migrations.map((m) => m.id).join(', ') || 'none';
    throw new UsageError(`no migration "${id}" (known: ${known})`);
  }
  return found;
}

function assertUnchanged(migrations: readonly MigrationFile[], history: Map<string, string>): void {
  for (const migration of migrations) {
    const recorded = history.get(migration.id);
    if (recorded !== undefined && recorded !== migration.checksum) {
      throw new UsageError(`migration ${migration.name} was edited after it was applied (checksum differs)`, {
        code: 'migration_changed',
        hint: 'write a new migration instead of editing an applied one',
      });
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
