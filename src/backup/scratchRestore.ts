import { randomBytes } from 'node:crypto';
import { inTransaction } from '../db/transaction.js';
import type { ParsedBackup } from './backupFile.js';
import { openCopyConnection } from './copyConnection.js';
import { quoteIdent } from './identifiers.js';
import { statements } from './statements.js';
import { retarget } from './tableDefinition.js';

export interface ScratchCheck {
  readonly table: string;
  /** Rows in the file's COPY block. */
  readonly rowsInFile: number;
  /** Rows the snapshot held when the built-in backup was taken (pg_dump: not recorded). */
  readonly rowsRecorded?: number;
  /** Rows that landed in the scratch copy. */
  readonly rowsRestored: number;
  readonly ok: boolean;
}

/**
 * Proves a backup restorable: creates a scratch schema, recreates each table
 * there (from the backup's own DDL; for pg_dump files, LIKE the live table),
 * loads the COPY blocks and counts. All inside one transaction that is rolled
 * back, so the scratch schema never outlives the check, even on a crash.
 */
export async function restoreIntoScratch(connectionString: string, backup: ParsedBackup): Promise<ScratchCheck[]> {
  const connection = await openCopyConnection(connectionString, 'shipcheck backup check');
  const schema = `shipcheck_scratch_${randomBytes(4).toString('hex')}`;
  try {
    return await inTransaction(
      connection,
      async () => {
        await connection.query(statements.createSchema(schema));
        const checks: ScratchCheck[] = [];
        for (const table of backup.tables) {
          const scratch = `${quoteIdent(schema)}.${quoteIdent(table.table.split('.')[1]!)}`;
          await connection.query(
            table.ddl ? retarget(table.ddl, scratch) : statements.createTableLike(scratch, table.table),
          );
          await connection.copyIn(statements.copyFrom(scratch, table.columnList), table.data);
          const { rows } = await connection.query<{ n: string }>(statements.countRowsQuoted(scratch));
          const restored = Number(rows[0]!.n);
          checks.push({
            table: table.table,
            rowsInFile: table.rows,
            ...(table.recordedRows !== undefined && { rowsRecorded: table.recordedRows }),
            rowsRestored: restored,
            ok: restored === table.rows && (table.recordedRows === undefined || table.recordedRows === restored),
          });
        }
        return checks;
      },
      // Always rolled back: the scratch schema never outlives the check.
      { keep: () => false },
    );
  } finally {
    await connection.close();
  }
}
