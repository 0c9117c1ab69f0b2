import { CheckFailedError, DatabaseError, UsageError } from '../../errors.js';
import { migrationsDir } from '../../paths.js';
import { withAdvisoryLock } from '../advisoryLock.js';
import type { Database, Queryable } from '../database.js';
import { sqlFile } from '../sqlFile.js';
import { assertTransactionIntact, inTransaction } from '../transaction.js';
import { type MigrationFile, readMigrations } from './files.js';

/** The advisory lock every migration writer takes on the target database. */
export const migrationLockName = 'shipcheck.migrations';

export interface AppliedMigration {
  id: string;
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations that were already in the history table. */
  alreadyApplied: string[];
}

export interface MigrationOptions {
  /** Defaults to the package's own `db/migrations`. */
  directory?: string;
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
  const migrations = await readMigrations(options.directory ?? migrationsDir);
  const target = options.to === undefined ? migrations.at(-1) : findMigration(migrations, options.to);
  if (target === undefined) return { applied: [], alreadyApplied: [] };
  return withAdvisoryLock(db, migrationLockName, (client) => applyPending(client, migrations, target, { eachInTransaction: true }), {
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
  options: {
    eachInTransaction: boolean;
    /** Called around applyMigration (inside its transaction): the deploy script, then its history row. */
    beforeEach?: (migration: MigrationFile) => void;
    afterEach?: (migration: MigrationFile) => void;
  },
): Promise<MigrateResult> {
  await ensureHistory(client);
  const history = await readHistory(client);
  assertUnchanged(migrations, history);
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const migration of migrations.filter((m) => m.id <= target.id)) {
    if (history.has(migration.id)) {
      result.alreadyApplied.push(migration.id);
      continue;
    }
    const apply = async () => {
      options.beforeEach?.(migration);
      await applyMigration(client, migration);
      options.afterEach?.(migration);
    };
    if (options.eachInTransaction) await inTransaction(client, apply);
    else await apply();
    result.applied.push(migration.id);
  }
  return result;
}

/**
 * Runs one migration's deploy script and records it; the caller owns the transaction
 * (opened with inTransaction or withSavepoint). A script that ended that transaction
 * (a COMMIT in the file) is an error before anything is recorded.
 */
export async function applyMigration(client: Queryable, migration: MigrationFile): Promise<void> {
  await runScript(client, migration.deploySql, `${migration.name}.sql`);
  await assertTransactionIntact(client);
  await client.query('insert into shipcheck.migrations (id, name, checksum) values ($1, $2, $3)', [
    migration.id,
    migration.name,
    migration.checksum,
  ]);
}

/** Reverts the newest applied migration, which must be `id`. */
export async function revert(db: Database, id: string, options: MigrationOptions = {}): Promise<void> {
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
      const history = await readHistory(client);
      if (!history.has(migration.id)) {
        throw new UsageError(`migration ${migration.name} is not applied; nothing to revert`);
      }
      const newest = [...history.keys()].sort().at(-1);
      if (newest !== migration.id) {
        throw new UsageError(`migration ${migration.id} is not the newest applied one (${newest} is); revert that first`);
      }
      await inTransaction(client, () => revertMigration(client, migration));
    },
    { wait: true },
  );
}

/** Runs one migration's revert script and removes its history row; the caller owns the transaction. */
export async function revertMigration(client: Queryable, migration: MigrationFile): Promise<void> {
  if (migration.revertSql === undefined) throw new UsageError(`migration ${migration.name} has no revert script`);
  await runScript(client, migration.revertSql, `${migration.name}.revert.sql`);
  await assertTransactionIntact(client);
  await client.query('delete from shipcheck.migrations where id = $1', [migration.id]);
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

/** What the history table says, oldest first. An empty list when nothing was ever applied. */
export async function migrationStatus(db: Queryable): Promise<AppliedMigration[]> {
  const { rows } = await db.query<{ exists: boolean }>(
    "select to_regclass('shipcheck.migrations') is not null as exists",
  );
  if (!rows[0]?.exists) return [];
  const history = await db.query<{ id: string; name: string; checksum: string; applied_at: Date }>(
    'select id, name, checksum, applied_at from shipcheck.migrations order by id',
  );
  return history.rows.map((r) => ({ id: r.id, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
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

async function ensureHistory(client: Queryable): Promise<void> {
  await client.query(sqlFile(import.meta.url, './history.sql'));
}

async function readHistory(client: Queryable): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; checksum: string }>('select id, checksum from shipcheck.migrations');
  return new Map(rows.map((r) => [r.id, r.checksum]));
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
