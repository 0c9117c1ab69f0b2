import { UsageError } from '../errors.js';

/**
 * The backup file: plain SQL that psql can also run. Two producers write it:
 * shipcheck's built-in logical backup (a header, then per table a marker line,
 * CREATE TABLE and a COPY block) and pg_dump (its own plain format). Restores
 * read the COPY blocks of either; the built-in one also carries the DDL.
 */
export const builtinMarker = '-- shipcheck logical backup';
const tableMarker = /^-- shipcheck:table (\S+) rows=(\d+)$/;
const copyLine =
  /^COPY ((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\.(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)) \(((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)(?:, (?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))*)\) FROM stdin;$/;

export interface BackupTable {
  /** schema.name, unquoted (the name the checklist used). */
  readonly table: string;
  /** As the file wrote it in COPY (quoted as needed). */
  readonly copyTarget: string;
  readonly columnList: string;
  /** COPY text rows, each ending in \n. */
  readonly data: string;
  readonly rows: number;
  /** Built-in backups only: CREATE TABLE for the table. */
  readonly ddl?: string;
  /** Built-in backups only: the row count taken in the backup's snapshot. */
  readonly recordedRows?: number;
}

export interface ParsedBackup {
  readonly format: 'builtin' | 'pg_dump';
  readonly tables: readonly BackupTable[];
}

export function builtinHeader(info: { createdAt: string; serverVersion: string; tables: readonly string[] }): string {
  return [
    builtinMarker,
    `-- created_at: ${info.createdAt}`,
    `-- server_version: ${info.serverVersion}`,
    `-- tables: ${info.tables.join(', ')}`,
    "SET client_encoding = 'UTF8';",
    'SET standard_conforming_strings = on;',
    '',
    '',
  ].join('\n');
}

export function tableHeader(
  table: string,
  rows: number,
  ddl: string,
  copyTarget: string,
  columns: readonly string[],
): string {
  return `-- shipcheck:table ${table} rows=${rows}\n${ddl}\n\nCOPY ${copyTarget} (${columns.join(', ')}) FROM stdin;\n`;
}

export const copyTerminator = '\\.\n\n';

export function parseBackup(text: string, fileName: string): ParsedBackup {
  const format = text.startsWith(builtinMarker) ? 'builtin' : 'pg_dump';
  const lines = text.split('\n');
  const tables: BackupTable[] = [];
  let pending: { table: string; rows: number; ddl: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = tableMarker.exec(line);
    if (marker) {
      pending = { table: marker[1]!, rows: Number(marker[2]), ddl: [] };
      continue;
    }
    const copy = copyLine.exec(line);
    if (!copy) {
      if (pending) pending.ddl.push(line);
      continue;
    }
    const end = lines.indexOf('\\.', i + 1);
    if (end === -1) throw new UsageError(`${fileName} is truncated: the COPY block at line ${i + 1} has no end marker`);
    const dataLines = lines.slice(i + 1, end);
    tables.push({
      table: unquote(copy[1]!),
      copyTarget: copy[1]!,
      columnList: copy[2]!,
      data: dataLines.map((l) => `${l}\n`).join(''),
      rows: dataLines.length,
      ...(pending && { ddl: pending.ddl.join('\n').trim(), recordedRows: pending.rows }),
    });
    pending = undefined;
    i = end;
  }
  return { format, tables };
}

function unquote(qualified: string): string {
  return qualified
    .split(/\.(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((part) => (part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part))
    .join('.');
}
