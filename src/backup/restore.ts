import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { sqlFile } from '../db/sqlFile.js';
import { inTransaction } from '../db/transaction.js';
import { CheckFailedError, DatabaseError, UsageError } from '../errors.js';
import { type BackupTable, parseBackup } from './backupFile.js';
import { type CopyConnection, openCopyConnection } from './copyConnection.js';
import { quoteQualified } from './identifiers.js';
import { statements } from './statements.js';

const sequencesSql = sqlFile(import.meta.url, './reset_sequences.sql');

export interface RestoreResult {
  readonly format: 'builtin' | 'pg_dump';
  readonly tables: readonly { table: string; rows: number; recreated: boolean }[];
}

/**
 * Replaces the rows of every table in the backup with the backup's rows, in one
 * transaction: lock, TRUNCATE (without CASCADE: a table that another table
 * references refuses, rather than wiping that other table), COPY, count, reset
 * identity sequences, commit. A table that no longer exists is recreated from a
 * built-in backup's DDL. Triggers on the tables fire as for any insert.
 *
 * `expectedSha256`, when given, must match the file: a backup that changed since
 * it was recorded is refused before anything is touched.
 *
 * @example
 * await restoreBackup(process.env.DATABASE_URL!, '.shipcheck/runs/…/backups/backup.sql');
 */
export async function restoreBackup(
  connectionString: string,
  path: string,
  options: { expectedSha256?: string } = {},
): Promise<RestoreResult> {
  const bytes = await readFile(path);
  if (options.expectedSha256 !== undefined) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== options.expectedSha256) {
      throw new CheckFailedError(
        `backup ${basename(path)} does not match its recorded checksum; refusing to restore it`,
        {
          code: 'backup_checksum_mismatch',
          detail: `recorded sha256 ${options.expectedSha256}, file has ${actual}`,
        },
      );
    }
  }
  const backup = parseBackup(bytes.toString('utf8'), basename(path));
  if (backup.tables.length === 0) throw new UsageError(`${basename(path)} holds no table data to restore`);
  const connection = await openCopyConnection(connectionString, 'shipcheck restore');
  try {
    return await inTransaction(connection, async () => {
      const recreated = await recreateMissing(connection, backup.tables);
      const names = backup.tables.map((t) => t.table);
      await connection.query(statements.lockTables(names));
      await truncate(connection, names);
      const restored: RestoreResult['tables'][number][] = [];
      for (const table of backup.tables) {
        await connection.copyIn(statements.copyFrom(quoteQualified(table.table), table.columnList), table.data);
        const { rows } = await connection.query<{ n: string }>(statements.countRows(table.table));
        if (Number(rows[0]!.n) !== table.rows) {
          throw new CheckFailedError(
            `restoring ${table.table} left ${rows[0]!.n} rows instead of ${table.rows}; rolled back`,
          );
        }
        await resetSequences(connection, table.table);
        restored.push({ table: table.table, rows: table.rows, recreated: recreated.has(table.table) });
      }
      return { format: backup.format, tables: restored };
    });
  } finally {
    await connection.close();
  }
}

async function recreateMissing(connection: CopyConnection, tables: readonly BackupTable[]): Promise<Set<string>> {
  const recreated = new Set<string>();
  for (const table of tables) {
    const { rows } = await connection.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [
      table.table,
    ]);
    if (rows[0]!.exists) continue;
    if (!table.ddl) {
      throw new UsageError(`table ${table.table} no longer exists and this pg_dump backup is restored data-only`, {
        hint: 'recreate it from the dump with psql -f <file>, then run the restore again',
      });
    }
    await connection.query(table.ddl);
    recreated.add(table.table);
  }
  return recreated;
}

async function truncate(connection: CopyConnection, tables: readonly string[]): Promise<void> {
  try {
    await connection.query(statements.truncateTables(tables));
  } catch (error) {
    if (error instanceof DatabaseError && error.sqlState === '0A000') {
      throw new UsageError(`cannot restore: ${error.message}`, {
        ...(error.detail !== undefined && { detail: error.detail }),
        hint: 'back up (and restore) the referencing tables together with this one',
      });
    }
    throw error;
  }
}

async function resetSequences(connection: CopyConnection, table: string): Promise<void> {
  const { rows } = await connection.query<{ column_name: string; sequence: string }>(sequencesSql, [table]);
  for (const { column_name: column, sequence } of rows) {
    // Next value after the highest restored one, so new rows do not collide with restored ids.
    await connection.query(statements.resetSequence(table, column), [sequence]);
  }
}
