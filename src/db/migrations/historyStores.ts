import { UsageError } from '../../errors.js';
import type { Queryable } from '../database.js';
import { sqlFile } from '../sqlFile.js';
import { parseStatements } from '../sqlStatements.js';
import type { MigrationFile } from './files.js';
import { compareVersions, type MigrationFormat } from './formats.js';
import { ensureHistory, forgetApplied, migrationStatus, recordApplied } from './history.js';

/**
 * The table a team's migration tool keeps its history in: shipcheck reads it to know what is
 * applied and writes the row that tool would write, so the tool and shipcheck agree afterwards.
 */
export interface HistoryStore {
  /** For messages: "supabase_migrations.schema_migrations". */
  readonly table: string;
  /** Creates the table, as the tool would, when missing. */
  ensure(client: Queryable): Promise<void>;
  /**
   * id → checksum of what is applied, among `migrations` (the folder, in order); the checksum is
   * undefined when the tool keeps none (Supabase, a Flyway baseline). Nothing is created.
   */
  read(client: Queryable, migrations: readonly MigrationFile[]): Promise<Map<string, string | undefined>>;
  record(client: Queryable, migration: MigrationFile, executionMs: number): Promise<void>;
  /** After its revert script ran: the migration is pending again for the tool too. */
  forget(client: Queryable, migration: MigrationFile): Promise<void>;
}

/** The history a format's migrations are recorded in; `source` names shipcheck's own namespace. */
export function historyStore(format: MigrationFormat, source: string): HistoryStore {
  if (format === 'supabase') return supabaseHistory;
  if (format === 'flyway') return flywayHistory;
  return shipcheckHistory(source);
}

function shipcheckHistory(source: string): HistoryStore {
  return {
    table: 'shipcheck.migrations',
    ensure: ensureHistory,
    async read(client) {
      return new Map((await migrationStatus(client, source)).map((m) => [m.id, m.checksum]));
    },
    record: (client, migration) => recordApplied(client, source, migration),
    forget: (client, migration) => forgetApplied(client, source, migration.id),
  };
}

const supabaseHistory: HistoryStore = {
  table: 'supabase_migrations.schema_migrations',
  async ensure(client) {
    await client.query(sqlFile(import.meta.url, './supabaseHistory.sql'));
  },
  async read(client) {
    if (!(await exists(client, 'supabase_migrations.schema_migrations'))) return new Map();
    const { rows } = await client.query<{ version: string }>(
      'select version from supabase_migrations.schema_migrations',
    );
    return new Map(rows.map((r) => [r.version, undefined]));
  },
  async record(client, migration) {
    // The CLI stores the file's statements, one element each, and the name after the timestamp.
    const statements = (await parseStatements(migration.deploySql, migration.file ?? `${migration.name}.sql`)).map(
      (st) => st.text,
    );
    await client.query(
      'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
      [migration.id, migration.description ?? migration.name, statements],
    );
  },
  async forget(client, migration) {
    // What `supabase migration repair --status reverted` does.
    await client.query('delete from supabase_migrations.schema_migrations where version = $1', [migration.id]);
  },
};

const flywayHistory: HistoryStore = {
  table: 'public.flyway_schema_history',
  async ensure(client) {
    await client.query(sqlFile(import.meta.url, './flywayHistory.sql'));
  },
  async read(client, migrations) {
    if (!(await exists(client, 'public.flyway_schema_history'))) return new Map();
    const { rows } = await client.query<{
      version: string;
      checksum: number | null;
      type: string;
      success: boolean;
      script: string;
    }>(
      `select version, checksum, type, success, script from public.flyway_schema_history
        where version is not null and installed_rank >= 0 order by installed_rank`,
    );
    const applied = new Map<string, string | undefined>();
    const same = (a: string, b: string) => compareVersions('flyway', a, b) === 0;
    const idOf = (version: string) => migrations.find((m) => same(m.id, version))?.id ?? version;
    for (const row of rows) {
      if (!row.success) {
        throw new UsageError(
          `${flywayHistory.table} holds a failed migration (${row.script}, version ${row.version}); repair it first (flyway repair)`,
          {
            code: 'migration_history_failed',
          },
        );
      }
      if (row.type === 'BASELINE') {
        for (const m of migrations) if (compareVersions('flyway', m.id, row.version) <= 0) applied.set(m.id, undefined);
      } else if (row.type === 'UNDO_SQL') applied.delete(idOf(row.version));
      else applied.set(idOf(row.version), row.checksum === null ? undefined : String(row.checksum));
    }
    return applied;
  },
  async record(client, migration, executionMs) {
    await insertFlywayRow(
      client,
      migration,
      'SQL',
      migration.file ?? `V${migration.id}__${migration.name}.sql`,
      Number(migration.checksum),
      executionMs,
    );
  },
  async forget(client, migration) {
    // Flyway keeps its history append-only: an undo is a row of its own that makes the version pending again.
    const description = migration.description ?? migration.name;
    await insertFlywayRow(
      client,
      migration,
      'UNDO_SQL',
      `U${migration.id}__${description.replaceAll(' ', '_')}.sql`,
      null,
      0,
    );
  },
};

async function insertFlywayRow(
  client: Queryable,
  migration: MigrationFile,
  type: string,
  script: string,
  checksum: number | null,
  executionMs: number,
): Promise<void> {
  await client.query(
    `insert into public.flyway_schema_history
       (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
     select coalesce(max(installed_rank), 0) + 1, $1, left($2, 200), $3, $4, $5, left(current_user, 100), $6, true
       from public.flyway_schema_history`,
    [migration.id, migration.description ?? migration.name, type, script, checksum, Math.round(executionMs)],
  );
}

async function exists(client: Queryable, table: string): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [table]);
  return rows[0]?.exists ?? false;
}
