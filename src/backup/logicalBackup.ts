import { open } from 'node:fs/promises';
import { inTransaction } from '../db/transaction.js';
import { CheckFailedError } from '../errors.js';
import { builtinHeader, copyTerminator, tableHeader } from './backupFile.js';
import { openCopyConnection } from './copyConnection.js';
import { quoteQualified } from './identifiers.js';
import { statements } from './statements.js';
import { readTableDefinition } from './tableDefinition.js';

export interface TableRows {
  readonly table: string;
  readonly rows: number;
}

/**
 * shipcheck's own backup, for when no pg_dump on PATH can dump this server: per
 * table its CREATE TABLE and its rows as a COPY block, all read in one
 * REPEATABLE READ snapshot, written to `path` (created 0600, fsynced).
 */
export async function writeLogicalBackup(
  connectionString: string,
  tables: readonly string[],
  path: string,
): Promise<TableRows[]> {
  const connection = await openCopyConnection(connectionString);
  const file = await open(path, 'wx', 0o600);
  const write = (data: string | Buffer) => (typeof data === 'string' ? file.write(data) : file.write(data));
  try {
    const counts = await inTransaction(
      connection,
      async () => {
        // Qualified names everywhere in the DDL: types and functions outside pg_catalog keep their schema.
        await connection.query('set local search_path = pg_catalog');
        const { rows } = await connection.query<{ version: string }>(
          "select current_setting('server_version') as version",
        );
        await write(builtinHeader({ createdAt: new Date().toISOString(), serverVersion: rows[0]!.version, tables }));
        const counts: TableRows[] = [];
        for (const table of tables) {
          const quoted = quoteQualified(table);
          const definition = await readTableDefinition(connection, table, quoted);
          const count = await connection.query<{ n: string }>(statements.countRowsQuoted(quoted));
          const expected = Number(count.rows[0]!.n);
          await write(tableHeader(table, expected, definition.ddl, quoted, definition.copyColumns));
          const copied = await connection.copyOut(statements.copyTo(quoted, definition.copyColumns), write);
          if (copied !== expected) {
            throw new CheckFailedError(`backup of ${table} copied ${copied} rows, but the snapshot holds ${expected}`);
          }
          await write(copyTerminator);
          counts.push({ table, rows: copied });
        }
        return counts;
      },
      { readOnly: true, isolation: 'repeatable read' },
    );
    await file.sync();
    return counts;
  } finally {
    await file.close().catch(() => {});
    await connection.close();
  }
}
