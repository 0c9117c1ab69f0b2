import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { redactSecrets } from '../db/connectionString.js';
import { ShipcheckError, ExitCode } from '../errors.js';

const execFileAsync = promisify(execFile);

/** The major version of the first pg_dump on PATH, or undefined when there is none. */
export async function pgDumpMajorVersion(env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  try {
    const { stdout } = await execFileAsync('pg_dump', ['--version'], { env: { PATH: env.PATH ?? '' }, timeout: 10_000 });
    const match = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** pg_dump refuses (or worse, misreads) a server of a newer major version than its own. */
export function pgDumpCanDump(pgDumpMajor: number | undefined, serverMajor: number): boolean {
  return pgDumpMajor !== undefined && pgDumpMajor >= serverMajor;
}

/**
 * Runs pg_dump for `tables` into `path` (created 0600 before pg_dump writes to it).
 * The connection goes in PG* variables and a 0600 passfile removed afterwards,
 * never on the command line where `ps` would show it.
 */
export async function runPgDump(connectionString: string, tables: readonly string[], path: string): Promise<void> {
  const url = new URL(connectionString);
  const passfile = join(tmpdir(), `shipcheck-pgpass-${randomBytes(8).toString('hex')}`);
  const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  const host = url.hostname.replace(/^\[|\]$/g, '') || 'localhost';
  const port = url.port || '5432';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const user = decodeURIComponent(url.username);
  await writeFile(passfile, `${escape(host)}:${port}:${escape(database)}:${escape(user)}:${escape(decodeURIComponent(url.password))}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  const file = await open(path, 'wx', 0o600);
  try {
    const args = ['--format=plain', '--no-owner', '--no-privileges', ...tables.map((t) => `--table=${t}`)];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      PGHOST: host,
      PGPORT: port,
      PGDATABASE: database,
      PGUSER: user,
      PGPASSFILE: passfile,
      PGAPPNAME: 'shipcheck backup (pg_dump)',
      ...(url.searchParams.get('sslmode') && { PGSSLMODE: url.searchParams.get('sslmode')! }),
    };
    const stderr = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn('pg_dump', args, { env, stdio: ['ignore', file.fd, 'pipe'] });
      let text = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        if (text.length < 16_384) text += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, text }));
    });
    if (stderr.code !== 0) {
      throw new ShipcheckError(`pg_dump failed (exit ${stderr.code}): ${redactSecrets(stderr.text.trim(), [connectionString])}`, {
        code: 'pg_dump_failed',
        exitCode: ExitCode.database,
      });
    }
    await file.sync();
  } finally {
    await file.close().catch(() => {});
    await rm(passfile, { force: true });
  }
}
