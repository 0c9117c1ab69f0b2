import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Queryable } from '../db/database.js';
import { parseBackup } from './backupFile.js';
import { writeLogicalBackup } from './logicalBackup.js';
import { pgDumpCanDump, pgDumpMajorVersion, runPgDump } from './pgDump.js';
import { restoreIntoScratch, type ScratchCheck } from './scratchRestore.js';

export type BackupMethod = 'pg_dump' | 'builtin';

/** A backup file being written; renamed without it once complete. */
export const partialSuffix = '.partial';

export interface BackupResult {
  readonly method: BackupMethod;
  readonly pgDumpMajor: number | undefined;
  readonly serverVersion: string;
  /** Relative to the run directory. */
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly checks: readonly ScratchCheck[];
}

/**
 * Backs `tables` up into `<runDir>/backups/` and proves the file restorable in a
 * scratch schema. pg_dump when one on PATH is at least the server's major version,
 * the built-in logical backup otherwise (or when `method` says so).
 */
export async function backupTables(
  db: Queryable,
  connectionString: string,
  tables: readonly string[],
  options: { runDir: string; fileStem: string; method: 'auto' | BackupMethod },
): Promise<BackupResult> {
  const { rows } = await db.query<{ version: string; major: number }>(
    "select current_setting('server_version') as version, current_setting('server_version_num')::int / 10000 as major",
  );
  const server = rows[0]!;
  const pgDumpMajor = await pgDumpMajorVersion();
  const method: BackupMethod =
    options.method === 'auto' ? (pgDumpCanDump(pgDumpMajor, server.major) ? 'pg_dump' : 'builtin') : options.method;

  const directory = join(options.runDir, 'backups');
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const path = join(directory, `${await unusedStem(directory, options.fileStem)}.sql`);
  // Written under a .partial name and renamed once whole: what a killed run leaves is never
  // taken for a backup (abandonedBackups finds it).
  const partial = `${path}${partialSuffix}`;
  try {
    if (method === 'pg_dump') await runPgDump(connectionString, tables, partial, options.runDir);
    else await writeLogicalBackup(connectionString, tables, partial);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  const bytes = await readFile(path);
  const checks = await restoreIntoScratch(connectionString, parseBackup(bytes.toString('utf8'), path));
  return {
    method,
    pgDumpMajor,
    serverVersion: server.version,
    file: relative(options.runDir, path),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    checks,
  };
}

/**
 * `stem`, or `stem-2`, `stem-3`… when a file of that name is in `directory` already. Stems are
 * stamped to the second: a run resumed within the second its killed attempt started its backup
 * found that attempt's `.partial` under the same name, failed on it (EEXIST) and removed it,
 * the evidence it should have recorded as abandoned.
 */
async function unusedStem(directory: string, stem: string): Promise<string> {
  const taken = new Set(await readdir(directory));
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? stem : `${stem}-${n}`;
    if (!taken.has(`${candidate}.sql`) && !taken.has(`${candidate}.sql${partialSuffix}`)) return candidate;
  }
}
