import { readableIdent, readableQualified } from '../backup/identifiers.js';
import type { CatalogObject, MigrationChanges } from './inspect.js';

/**
 * DROP of what the migration created, in reverse creation order (columns added to tables that
 * stay last); for what it changed or dropped, a placeholder.
 */
export function revertScript(
  changes: MigrationChanges,
  createdTables: Set<string>,
  placeholder: (what: string) => string,
): string {
  const onKeptTable = (o: CatalogObject) => !createdTables.has(String(o.detail.table));
  const dropOf = (o: CatalogObject): string | undefined => {
    const table = readableQualified(String(o.detail.table));
    const name = readableIdent(String(o.detail.name));
    if (o.kind === 'function') return `drop function if exists ${String(o.detail.regprocedure)};`;
    if (o.kind === 'table') return `drop table if exists ${readableQualified(o.key)};`;
    // A created table's columns, indexes and policies go with the table.
    if (!onKeptTable(o)) return undefined;
    if (o.kind === 'policy') return `drop policy if exists ${name} on ${table};`;
    if (o.kind === 'index')
      return o.detail.constraint
        ? `alter table ${table} drop constraint if exists ${name};`
        : `drop index if exists ${readableIdent(o.key.slice(0, o.key.indexOf('.')))}.${name};`;
    return undefined;
  };
  // Reverse creation order: a later object may depend on an earlier one (a function returning a
  // table's row type, a table whose default calls a function), never the reverse.
  const ordered = changes.created
    .filter((o) => o.kind !== 'column')
    .sort((a, b) => Number(BigInt(b.created_order ?? 0) - BigInt(a.created_order ?? 0)));
  const lines = ordered.map(dropOf).filter((line): line is string => line !== undefined);
  // Columns added to kept tables last: the indexes, policies and functions on them are gone by then.
  for (const c of changes.created.filter((o) => o.kind === 'column' && onKeptTable(o)))
    lines.push(
      `alter table ${readableQualified(String(c.detail.table))} drop column if exists ${readableIdent(String(c.detail.name))};`,
    );

  const name = (o: CatalogObject) => `${o.kind} ${o.kind === 'function' ? String(o.detail.regprocedure) : o.key}`;
  const undone = [
    ...changes.changed.map((c) => `${name(c.after)} (changed)`),
    ...changes.dropped.map((o) => `${name(o)} (dropped)`),
  ];
  if (undone.length === 0) return `${lines.join('\n')}\n`;
  const what = `restore what the migration changed or dropped: ${undone.join(', ')}; then remove this line${lines.length > 0 ? ' (the DROPs below undo what it created)' : ''}`;
  return `${placeholder(what)}\n${lines.join('\n')}\n`;
}
