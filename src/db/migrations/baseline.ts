import { CheckFailedError, UsageError } from '../../errors.js';
import { migrationsDir } from '../../paths.js';
import { inLockedTransaction } from '../lockedTransaction.js';
import type { Database, Queryable } from '../database.js';
import { type AstNode, parseStatements } from '../sqlStatements.js';
import type { MigrationFile } from './files.js';
import { namesMigration } from './formats.js';
import { migrationLockName, type MigrationOptions, readFrom, storeFor } from './runner.js';

/** One object a migration creates, looked up on the target. */
export interface CheckedObject {
  readonly migration: string;
  readonly kind: 'table' | 'view' | 'index' | 'function' | 'schema';
  readonly name: string;
  readonly exists: boolean;
}

export interface BaselineResult {
  /** Recorded as applied without running, in order. */
  readonly recorded: readonly string[];
  readonly alreadyApplied: readonly string[];
  readonly checked: readonly CheckedObject[];
  /** What could not be checked: "002_x line 4: AlterTableStmt". */
  readonly notChecked: readonly string[];
  readonly history: string;
}

/**
 * Adopts a database migrated by another tool or by hand: records the folder's migrations up to
 * and including `to` as applied, without running them, in the history the format keeps.
 * Before recording, the tables, views, indexes, schemas and functions they create are looked
 * up on the target; one missing refuses the whole baseline (nothing recorded). What cannot be
 * checked that way (ALTERs, grants, data) is returned, to be said to the operator.
 *
 * @example
 * await baseline(db, { to: '20240301000000', folder: { format: 'supabase', directory } });
 */
export async function baseline(db: Database, options: MigrationOptions & { to: string }): Promise<BaselineResult> {
  const migrations = await readFrom(options);
  const index = migrations.findIndex((m) => namesMigration(m, options.to));
  if (index === -1) {
    throw new UsageError(
      `no migration "${options.to}" in ${options.folder?.directory ?? options.directory ?? migrationsDir} (known: ${migrations.map((m) => m.id).join(', ') || 'none'})`,
    );
  }
  const store = storeFor(options);
  const upTo = migrations.slice(0, index + 1);
  // The history table is created first and stays, even when the baseline is then refused.
  await inLockedTransaction(db, migrationLockName, (client) => store.ensure(client), { wait: true });
  // One transaction: reading the history, checking the objects and recording (transaction-scoped lock behind a pooler).
  return inLockedTransaction(
    db,
    migrationLockName,
    async (client) => {
      const history = await store.read(client, migrations);
      const pending = upTo.filter((m) => !history.has(m.id));
      const checked: CheckedObject[] = [];
      const notChecked: string[] = [];
      for (const migration of pending) {
        const found = await createdObjects(migration);
        notChecked.push(...found.unchecked);
        for (const object of found.objects)
          checked.push({ ...object, migration: migration.name, exists: await objectExists(client, object) });
      }
      const missing = checked.filter((o) => !o.exists);
      if (missing.length > 0) {
        throw new CheckFailedError(
          `baseline refused, nothing recorded: ${missing.map((o) => `${o.kind} ${o.name} (created by ${o.migration})`).join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist on the target`,
          {
            code: 'baseline_mismatch',
            hint: 'baseline to an earlier version, or apply the missing migrations with migrate',
          },
        );
      }
      for (const migration of pending) await store.record(client, migration, 0);
      return {
        recorded: pending.map((m) => m.id),
        alreadyApplied: upTo.filter((m) => history.has(m.id)).map((m) => m.id),
        checked,
        notChecked,
        history: store.table,
      };
    },
    { wait: true },
  );
}

type Created = Omit<CheckedObject, 'migration' | 'exists'>;

async function createdObjects(migration: MigrationFile): Promise<{ objects: Created[]; unchecked: string[] }> {
  const objects: Created[] = [];
  const unchecked: string[] = [];
  for (const statement of await parseStatements(migration.deploySql, migration.file ?? `${migration.name}.sql`)) {
    const object = objectOf(statement.type, statement.node);
    if (object) objects.push(object);
    else unchecked.push(`${migration.name} line ${statement.line}: ${statement.type}`);
  }
  return { objects, unchecked };
}

function objectOf(type: string, node: AstNode): Created | undefined {
  const relation = (r: AstNode | undefined) => (r?.schemaname ? `${r.schemaname}.${r.relname}` : String(r?.relname));
  if (type === 'CreateStmt' || type === 'CreateTableAsStmt')
    return { kind: 'table', name: relation(node.relation ?? node.into?.rel) };
  if (type === 'ViewStmt') return { kind: 'view', name: relation(node.view) };
  if (type === 'IndexStmt' && node.idxname)
    return {
      kind: 'index',
      name: node.relation?.schemaname ? `${node.relation.schemaname}.${node.idxname}` : String(node.idxname),
    };
  if (type === 'CreateSchemaStmt' && node.schemaname) return { kind: 'schema', name: String(node.schemaname) };
  if (type === 'CreateFunctionStmt') {
    const parts = (node.funcname as AstNode[]).map((p) => String(p.String?.sval));
    return { kind: 'function', name: parts.join('.') };
  }
  return undefined;
}

async function objectExists(client: Queryable, object: Created): Promise<boolean> {
  if (object.kind === 'schema') {
    const { rows } = await client.query<{ found: boolean }>(
      'select exists (select 1 from pg_catalog.pg_namespace where nspname = $1) as found',
      [object.name],
    );
    return rows[0]?.found ?? false;
  }
  if (object.kind === 'function') {
    // Any overload of that name: to_regproc is null when the name is overloaded.
    const [schema, name] = object.name.includes('.') ? object.name.split('.', 2) : [undefined, object.name];
    const { rows } = await client.query<{ found: boolean }>(
      `select exists (select 1 from pg_catalog.pg_proc p
                       where p.proname = $1
                         and ($2::text is null and pg_catalog.pg_function_is_visible(p.oid)
                              or p.pronamespace = (select oid from pg_catalog.pg_namespace where nspname = $2))) as found`,
      [name, schema ?? null],
    );
    return rows[0]?.found ?? false;
  }
  const [schema, name] = object.name.includes('.') ? object.name.split('.', 2) : [undefined, object.name];
  const { rows } = await client.query<{ found: boolean }>(
    "select to_regclass(case when $1::text is null then pg_catalog.quote_ident($2) else pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2) end) is not null as found",
    [schema ?? null, name],
  );
  return rows[0]?.found ?? false;
}
