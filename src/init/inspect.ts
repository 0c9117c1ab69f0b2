import { readFile } from 'node:fs/promises';
import { Database, type Queryable } from '../db/database.js';
import type { ListedMigration } from '../db/migrations/formats.js';
import { sqlFile } from '../db/sqlFile.js';
import { type AstNode, outsideTransactionReason, type ParsedStatement, parseStatements } from '../db/sqlStatements.js';
import { inTransaction } from '../db/transaction.js';
import { UsageError } from '../errors.js';

const snapshotSql = sqlFile(import.meta.url, './snapshot.sql');

export type ObjectKind = 'function' | 'table' | 'column' | 'index' | 'policy';

/** One catalog object as snapshot.sql reads it; `detail` is compared to tell a change. */
export interface CatalogObject {
  readonly kind: ObjectKind;
  readonly key: string;
  readonly detail: Record<string, unknown>;
  /** The object's OID as text (creation order within the inspection); null for a column. */
  readonly created_order: string | null;
}

/** What a migration created, changed and dropped, read from the catalogs before and after it. */
export interface MigrationChanges {
  readonly created: readonly CatalogObject[];
  readonly changed: readonly { before: CatalogObject; after: CatalogObject }[];
  readonly dropped: readonly CatalogObject[];
  /** Roles that existed while the migration ran (the contract step names only roles that exist). */
  readonly roles: readonly string[];
  /**
   * Functions (by name; '*' for ALL FUNCTIONS IN SCHEMA) the migration itself GRANTs EXECUTE to
   * PUBLIC: the catalog cannot tell that from PUBLIC's default EXECUTE, which was merely never revoked.
   */
  readonly publicGrants: readonly string[];
}

export interface InspectOptions {
  /** The database to inspect on; nothing is kept: everything runs in one transaction that is rolled back. */
  readonly url: string;
  readonly migration: ListedMigration;
  /** Applied first, in this order (a throw-away database starts empty). */
  readonly earlier: readonly ListedMigration[];
  /** Roles created (inside the same transaction) when missing, e.g. Supabase's anon, authenticated, service_role. */
  readonly roles?: readonly string[];
}

const roleName = /^[a-z_][a-z0-9_]*$/;

/**
 * Applies the earlier migrations, then this one, in a transaction that is always rolled back,
 * and compares the catalogs before and after this one.
 *
 * @example
 * const changes = await inspectMigration({ url, migration, earlier: [] });
 * changes.created.filter((o) => o.kind === 'function')
 */
export async function inspectMigration(options: InspectOptions): Promise<MigrationChanges> {
  const scripts = await Promise.all(
    [...options.earlier, options.migration].map(async (m) => ({ migration: m, ...(await readScript(m)) })),
  );
  const publicGrants = functionsGrantedToPublic(scripts.at(-1)!.statements);
  const db = Database.connect(options.url, { max: 1, applicationName: 'shipcheck init' });
  try {
    return await db
      .withClient((client) =>
        inTransaction(client, (tx) => inspectIn(tx, scripts, options.roles ?? []), { keep: () => false }),
      )
      .then((changes) => ({ ...changes, publicGrants }));
  } finally {
    await db.close();
  }
}

async function inspectIn(
  client: Queryable,
  scripts: readonly { migration: ListedMigration; sql: string }[],
  roles: readonly string[],
): Promise<Omit<MigrationChanges, 'publicGrants'>> {
  for (const role of roles) {
    if (!roleName.test(role)) throw new UsageError(`role name "${role}" is not a plain lower-case name`);
    // A role name cannot be a bound parameter: the server quotes it (format %I).
    const { rows } = await client.query<{ statement: string }>(
      "select format('create role %I nologin', $1::text) as statement where not exists (select 1 from pg_roles where rolname = $1)",
      [role],
    );
    if (rows[0]) await client.query(rows[0].statement);
  }
  const target = scripts.at(-1)!;
  for (const { migration, sql } of scripts.slice(0, -1)) await apply(client, migration, sql);
  const before = await snapshot(client);
  await apply(client, target.migration, target.sql);
  const after = await snapshot(client);
  const { rows } = await client.query<{ rolname: string }>(
    "select rolname from pg_roles where rolname !~ '^pg_' order by 1",
  );
  return { ...compare(before, after), roles: rows.map((r) => r.rolname) };
}

async function readScript(migration: ListedMigration): Promise<{ sql: string; statements: ParsedStatement[] }> {
  const sql = await readFile(migration.path, 'utf8');
  const statements = await parseStatements(sql, migration.file);
  for (const statement of statements) {
    const reason =
      statement.type === 'TransactionStmt' ? 'transaction control (BEGIN/COMMIT)' : outsideTransactionReason(statement);
    if (reason !== undefined) {
      throw new UsageError(
        `${migration.file}:${statement.line}: ${reason} cannot run inside the transaction shipcheck init rolls back; inspect without it (e.g. --connection-env on a copy) or move it to its own migration`,
      );
    }
  }
  return { sql, statements };
}

/** Names of the functions a GRANT … ON FUNCTION … TO PUBLIC of the migration names. */
function functionsGrantedToPublic(statements: readonly ParsedStatement[]): string[] {
  const names: string[] = [];
  for (const { type, node } of statements) {
    if (type !== 'GrantStmt' || !node.is_grant) continue;
    if (!['OBJECT_FUNCTION', 'OBJECT_ROUTINE', 'OBJECT_PROCEDURE'].includes(node.objtype)) continue;
    const toPublic = (node.grantees ?? []).some((g: AstNode) => g.RoleSpec?.roletype === 'ROLESPEC_PUBLIC');
    if (!toPublic) continue;
    if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') names.push('*');
    for (const object of node.objects ?? []) {
      const parts: AstNode[] = object.ObjectWithArgs?.objname ?? [];
      const last = parts.at(-1)?.String?.sval;
      if (typeof last === 'string') names.push(last);
    }
  }
  return names;
}

async function apply(client: Queryable, migration: ListedMigration, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    throw new UsageError(`${migration.file} failed while shipcheck init applied it: ${(error as Error).message}`, {
      code: 'init_migration_failed',
      // Supabase migrations often use its auth/storage schemas, which a bare PostgreSQL lacks.
      hint: "inspect on a database that has what the migrations need (e.g. `supabase start`'s local one, at the state before this migration) with --connection-env NAME",
    });
  }
}

async function snapshot(client: Queryable): Promise<Map<string, CatalogObject>> {
  const { rows } = await client.query<CatalogObject>(snapshotSql);
  return new Map(rows.map((row) => [`${row.kind} ${row.key}`, row]));
}

function compare(before: Map<string, CatalogObject>, after: Map<string, CatalogObject>) {
  const created: CatalogObject[] = [];
  const changed: { before: CatalogObject; after: CatalogObject }[] = [];
  for (const [id, object] of after) {
    const old = before.get(id);
    if (!old) created.push(object);
    else if (JSON.stringify(old.detail) !== JSON.stringify(object.detail)) changed.push({ before: old, after: object });
  }
  const dropped = [...before].filter(([id]) => !after.has(id)).map(([, object]) => object);
  return { created, changed, dropped };
}
