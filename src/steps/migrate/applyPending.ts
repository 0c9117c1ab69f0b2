import type { Queryable } from '../../db/database.js';
import type { MigrationFile } from '../../db/migrations/files.js';
import { applyMigration, migrationStatus } from '../../db/migrations/runner.js';
import { sqlFile } from '../../db/sqlFile.js';
import { UsageError } from '../../errors.js';

const historySql = sqlFile(import.meta.url, '../../db/migrations/history.sql');

/**
 * The runner's `migrate`, on a client whose transaction someone else owns (the
 * rehearsal): no advisory lock and no BEGIN/COMMIT of its own, the same history
 * table and the same refusal of an applied migration whose file changed.
 */
export async function migrateInTransaction(
  client: Queryable,
  migrations: readonly MigrationFile[],
  target: MigrationFile,
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
    await applyMigration(client, migration);
    result.applied.push(migration.id);
  }
  return result;
}
