import type { Queryable } from '../../db/database.js';
import type { MigrationFile } from '../../db/migrations/files.js';
import { applyMigration, migrationStatus } from '../../db/migrations/runner.js';
import { sqlFile } from '../../db/sqlFile.js';
import { UsageError } from '../../errors.js';

const historySql = sqlFile(import.meta.url, '../../db/migrations/history.sql');

/**
 * The runner's `migrate` on one given connection, so the step can watch what the
 * server answers (command tags, notices): the same history table, the same refusal
 * of an applied migration whose file changed. With `eachInTransaction` every
 * migration commits on its own (as the runner does); without, the caller owns the
 * transaction (the rehearsal).
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
): Promise<{ applied: string[]; alreadyApplied: string[] }> {
  await client.query(historySql);
  const history = new Map((await migrationStatus(client)).map((m) => [m.id, m.checksum]));
  for (const migration of migrations) {
    const recorded = history.get(migration.id);
    if (recorded !== undefined && recorded !== migration.checksum) {
      throw new UsageError(`migration ${migration.name} was edited after it was applied (checksum differs)`, {
        code: 'migration_changed',
        hint: 'write a new migration instead of editing an applied one',
      });
    }
  }
  const result = { applied: [] as string[], alreadyApplied: [] as string[] };
  for (const migration of migrations.filter((m) => m.id <= target.id)) {
    if (history.has(migration.id)) {
      result.alreadyApplied.push(migration.id);
      continue;
    }
    if (options.eachInTransaction) await client.query('begin');
    try {
      options.beforeEach?.(migration);
      await applyMigration(client, migration);
      options.afterEach?.(migration);
      if (options.eachInTransaction) await client.query('commit');
    } catch (error) {
      if (options.eachInTransaction) await client.query('rollback').catch(() => {});
      throw error;
    }
    result.applied.push(migration.id);
  }
  return result;
}
