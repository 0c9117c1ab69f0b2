import { quoteIdent, quoteQualified } from './identifiers.js';

/**
 * The backup code's SQL that must name tables, schemas or columns: identifiers
 * cannot be bound parameters, so they are spliced here — and only here — quoted,
 * from names that passed `tableName` (schema.name in lower case) or came from the
 * catalog (quote_ident already applied: `quotedColumn`). Values are always bound.
 */
export const statements = {
  countRows: (table: string) => `select count(*) as n from ${quoteQualified(table)}`,
  countRowsQuoted: (quotedTable: string) => `select count(*) as n from ${quotedTable}`,
  lockTables: (tables: readonly string[]) =>
    `lock table ${tables.map(quoteQualified).join(', ')} in access exclusive mode`,
  /** No CASCADE: a table referenced from outside the backup refuses instead of wiping the other table. */
  truncateTables: (tables: readonly string[]) => `truncate table ${tables.map(quoteQualified).join(', ')}`,
  createSchema: (schema: string) => `create schema ${quoteIdent(schema)}`,
  createTableLike: (quotedTarget: string, source: string) =>
    `create table ${quotedTarget} (like ${quoteQualified(source)} including defaults including constraints including generated)`,
  /** $1: the sequence; the next value follows the highest restored one. */
  resetSequence: (table: string, quotedColumn: string) =>
    `select setval($1, coalesce((select max(${quotedColumn}) from ${quoteQualified(table)}), 1), (select max(${quotedColumn}) from ${quoteQualified(table)}) is not null)`,
  copyTo: (quotedTable: string, quotedColumns: readonly string[]) =>
    `COPY ${quotedTable} (${quotedColumns.join(', ')}) TO STDOUT`,
  /** `columnList` is the file's own COPY column list, which passed backupFile's identifier-only pattern. */
  copyFrom: (quotedTable: string, columnList: string) => `COPY ${quotedTable} (${columnList}) FROM STDIN`,
} as const;
