import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { isRunning, killChild, removeOnExit, spawnChild, startTime } from '../process/children.js';
import { redactSecrets } from '../db/connectionString.js';
import { ShipcheckError, ExitCode } from '../errors.js';

const execFileAsync = promisify(execFile);

/** The major version of the first pg_dump on PATH, or undefined when there is none. */
export async function pgDumpMajorVersion(env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  try {
    const { stdout } = await execFileAsync('pg_dump', ['--version'], {
      env: { PATH: env.PATH ?? '' },
      timeout: 10_000,
    });
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

/** Where the connection's password waits for pg_dump: beside the dump, in the run's 0700 directory. */
const passfilePrefix = '.pgpass-';
const legacyPassfileAgeMs = 5 * 60_000;

/**
 * Runs pg_dump for `tables` into `path` (created 0600 before pg_dump writes to it).
 * The connection goes in PG* variables and a 0600 passfile removed afterwards, never
 * on the command line where `ps` would show it. The passfile sits beside the dump in
 * the run directory (0700), named after this process, so a kill -9 leaves no password
 * in a shared temp directory and the next start removes it (removeStalePassfiles).
 * pg_dump writes into a pipe, not the file: if shipcheck dies, its next write fails and
 * it ends, and its process group is killed when shipcheck exits (spawnChild).
 */
export async function runPgDump(
  connectionString: string,
  tables: readonly string[],
  path: string,
  runDir?: string,
): Promise<void> {
  const url = new URL(connectionString);
  // Named after this process (pid and start time: pids are reused) so that the next start knows it is stale.
  const passfile = join(
    dirname(path),
    `${passfilePrefix}${process.pid}-${startTime(process.pid) ?? 'x'}-${randomBytes(8).toString('hex')}`,
  );
  const escapeValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  const host = url.hostname.replace(/^\[|\]$/g, '') || 'localhost';
  const port = url.port || '5432';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const user = decodeURIComponent(url.username);
  const forget = removeOnExit(passfile);
  try {
    await writeFile(
      passfile,
      `${escapeValue(host)}:${port}:${escapeValue(database)}:${escapeValue(user)}:${escapeValue(decodeURIComponent(url.password))}\n`,
      {
        mode: 0o600,
        flag: 'wx',
      },
    );
    await dumpInto(
      path,
      tables,
      passfile,
      { host, port, database, user, sslmode: url.searchParams.get('sslmode') },
      connectionString,
      runDir,
    );
  } finally {
    await rm(passfile, { force: true });
    forget();
  }
}

async function dumpInto(
  path: string,
  tables: readonly string[],
  passfile: string,
  target: { host: string; port: string; database: string; user: string; sslmode: string | null },
  connectionString: string,
  runDir: string | undefined,
): Promise<void> {
  const { host, port, database, user, sslmode } = target;
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
      ...(sslmode && { PGSSLMODE: sslmode }),
    };
    const stderr = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawnChild(
        'pg_dump',
        args,
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
        { ...(runDir !== undefined && { runDir }), what: `pg_dump of ${tables.join(', ')} into ${path}` },
      );
      // One chunk at a time: pg_dump waits (the pipe fills) while the disk is slower than it.
      let written: Promise<unknown> = Promise.resolve();
      child.stdout!.on('data', (chunk: Buffer) => {
        child.stdout!.pause();
        written = written.then(() => writeAll(file, chunk)).then(() => void child.stdout!.resume());
        written.catch(() => killChild(child, 'SIGKILL'));
      });
      let text = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        if (text.length < 16_384) text += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => {
        written.then(() => resolve({ code, text }), reject);
      });
    });
    if (stderr.code !== 0) {
      throw new ShipcheckError(
        `pg_dump failed (exit ${stderr.code}): ${redactSecrets(stderr.text.trim(), [connectionString])}`,
        {
          code: 'pg_dump_failed',
          exitCode: ExitCode.database,
        },
      );
    }
    await file.sync();
  } finally {
    await file.close().catch(() => {});
  }
}

async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) offset += (await file.write(chunk, offset, chunk.length - offset)).bytesWritten;
}

/**
 * Passfiles a killed shipcheck left: in `directory` (a run's backups), those of processes
 * that no longer run; in the system temp directory, the `shipcheck-pgpass-*` files earlier
 * versions wrote there, once older than a pg_dump needs them (it reads the file as it
 * connects, at its start). Returns how many were removed.
 */
export async function removeStalePassfiles(directory: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(directory).catch(() => [] as string[])) {
    const owner = /^\.pgpass-(\d+)-(\d+|x)-/.exec(name);
    if (!owner || isRunning(Number(owner[1]), owner[2] === 'x' ? null : owner[2]!)) continue;
    await rm(join(directory, name), { force: true });
    removed++;
  }
  const uid = process.getuid?.();
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith('shipcheck-pgpass-')) continue;
    const path = join(tmpdir(), name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || (uid !== undefined && info.uid !== uid) || Date.now() - info.mtimeMs < legacyPassfileAgeMs)
      continue;
    await rm(path, { force: true });
    removed++;
  }
  return removed;
}
