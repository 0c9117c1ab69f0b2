import { z } from 'zod';
import { abandonedBackups } from '../backup/abandonedBackups.js';
import { backupTables } from '../backup/backupTables.js';
import { tableName } from '../backup/identifiers.js';
import type { StepKind } from './types.js';

const schema = z.strictObject({
  tables: z
    .array(tableName)
    .min(1, 'tables lists no table')
    .refine((t) => new Set(t).size === t.length, { message: 'a table is listed twice' })
    .describe('tables to back up, each schema.name in lower case, none twice; all go into one file'),
  method: z
    .enum(['auto', 'pg_dump', 'builtin'])
    .default('auto')
    .describe(
      "auto: pg_dump when the one on PATH is at least the server's major version, else builtin (shipcheck's own SQL + COPY dump)",
    ),
});

export type BackupSpec = z.infer<typeof schema>;

/**
 * `backup`: backs tables up into the run directory (file 0600, sha256 and size
 * recorded) and proves the file restorable by loading it into a scratch schema
 * and comparing row counts. `shipcheck restore RUN` puts it back.
 *
 * @example
 * - id: backup
 *   kind: backup
 *   tables: [public.events]
 */
export const backupStep: StepKind<BackupSpec> = {
  kind: 'backup',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: false,
  describe(spec) {
    return {
      summary: `back up ${spec.tables.join(', ')} (${spec.method === 'auto' ? 'pg_dump if compatible, else built-in' : spec.method}) and prove it restorable`,
      detail:
        spec.method === 'builtin'
          ? `CREATE TABLE + COPY … TO STDOUT of ${spec.tables.join(', ')}`
          : `pg_dump --format=plain --no-owner --no-privileges ${spec.tables.map((t) => `--table=${t}`).join(' ')}`,
    };
  },
  async run(spec, context) {
    const expected = `a restorable backup of ${spec.tables.join(', ')}`;
    const { rows } = await context.environment.db.query<{ name: string }>(
      'select t.name from unnest($1::text[]) as t(name) where to_regclass(t.name) is null',
      [spec.tables],
    );
    if (rows.length > 0) {
      return {
        status: 'failed',
        expected,
        observed: { missing: rows.map((r) => r.name) },
        message: `no table ${rows.map((r) => r.name).join(', ')} to back up`,
      };
    }
    const abandoned = await abandonedBackups(context.runDir, `${context.step.id}-`);
    for (const file of abandoned)
      context.progress(
        `${file.path} (${formatBytes(file.bytes)}) was left by an interrupted attempt: recorded as abandoned, not as a backup`,
      );
    context.progress(`backing up ${spec.tables.join(', ')}`);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const result = await backupTables(context.environment.db, context.environment.connectionString, spec.tables, {
      runDir: context.runDir,
      fileStem: `${context.step.id}-${stamp}`,
      method: spec.method,
    });
    const evidence = {
      path: result.file,
      sha256: result.sha256,
      bytes: result.bytes,
      description: `backup of ${spec.tables.join(', ')} (${result.method})`,
    };
    const observed = {
      method: result.method,
      pg_dump_major: result.pgDumpMajor ?? null,
      server_version: result.serverVersion,
      file: result.file,
      sha256: result.sha256,
      bytes: result.bytes,
      tables: result.checks,
      ...(abandoned.length > 0 && {
        abandoned: abandoned.map((a) => ({ file: a.path, bytes: a.bytes, sha256: a.sha256 })),
      }),
    };
    const rowsText = result.checks.map((c) => `${c.table} ${c.rowsRestored} rows`).join(', ');
    const bad = result.checks.filter((c) => !c.ok);
    if (bad.length > 0) {
      return {
        status: 'failed',
        expected,
        observed,
        evidence: [evidence, ...abandoned],
        message: `the backup did not restore whole: ${bad.map((c) => `${c.table} has ${c.rowsInFile} rows in the file${c.rowsRecorded !== undefined ? ` (${c.rowsRecorded} at backup time)` : ''} but ${c.rowsRestored} restored`).join('; ')}`,
      };
    }
    return {
      status: 'passed',
      expected,
      observed,
      // The backup first: a restore reads the first evidence of a backup step.
      evidence: [evidence, ...abandoned],
      metrics: { backup_bytes: result.bytes, backup_rows: result.checks.reduce((n, c) => n + c.rowsRestored, 0) },
      message: `${result.method} backup, ${formatBytes(result.bytes)}, restorable (${rowsText})`,
    };
  },
};

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
