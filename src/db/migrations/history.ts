import type { Queryable } from '../database.js';
import { sqlFile } from '../sqlFile.js';
import type { MigrationFile } from './files.js';

/** The source of shipcheck's own migrations (Shield's schema, db/migrations). */
export const shieldSource = 'shield';

export interface AppliedMigration {
  source: string;
  id: string;
  name: string;
  checksum: string;
  appliedAt: Date;
}

/**
 * shipcheck.migrations, created when missing. Rows are keyed by (source, id): a team's
 * `001_init.sql` and Shield's `001_supabase_compat_roles.sql` on one database are two
 * different migrations.
 */
export async function ensureHistory(client: Queryable): Promise<void> {
  await client.query(sqlFile(import.meta.url, './history.sql'));
}

/** id → checksum of the migrations applied from `source`. */
export async function readHistory(client: Queryable, source: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; checksum: string }>(
    'select id, checksum from shipcheck.migrations where source = $1',
    [source],
  );
  return new Map(rows.map((r) => [r.id, r.checksum]));
}

export async function recordApplied(client: Queryable, source: string, migration: MigrationFile): Promise<void> {
  await client.query('insert into shipcheck.migrations (source, id, name, checksum) values ($1, $2, $3, $4)', [
    source,
    migration.id,
    migration.name,
    migration.checksum,
  ]);
}

export async function forgetApplied(client: Queryable, source: string, id: string): Promise<void> {
  await client.query('delete from shipcheck.migrations where source = $1 and id = $2', [source, id]);
}

/**
 * What the history table says of one source (default Shield's), oldest first. An empty list
 * when nothing was ever applied.
 */
export async function migrationStatus(db: Queryable, source: string = shieldSource): Promise<AppliedMigration[]> {
  const { rows } = await db.query<{ exists: boolean; namespaced: boolean }>(
    `select to_regclass('shipcheck.migrations') is not null as exists,
            exists (select 1 from pg_catalog.pg_attribute
                    where attrelid = to_regclass('shipcheck.migrations') and attname = 'source' and not attisdropped) as namespaced`,
  );
  if (!rows[0]?.exists) return [];
  // A history not yet namespaced (written by an older shipcheck) holds Shield's migrations only.
  if (!rows[0].namespaced) {
    if (source !== shieldSource) return [];
    const old = await db.query<{ id: string; name: string; checksum: string; applied_at: Date }>(
      'select id, name, checksum, applied_at from shipcheck.migrations order by id',
    );
    return old.rows.map((r) => ({ source, id: r.id, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
  }
  const history = await db.query<{ id: string; name: string; checksum: string; applied_at: Date }>(
    'select id, name, checksum, applied_at from shipcheck.migrations where source = $1 order by id',
    [source],
  );
  return history.rows.map((r) => ({ source, id: r.id, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
}
