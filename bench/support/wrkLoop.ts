import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { HttpLoopResult } from './autocannonLoop.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./wrk_actions.lua', import.meta.url));

/** Whether wrk (Debian's package `wrk`) is on PATH. */
export async function wrkAvailable(): Promise<boolean> {
  try {
    await run('wrk', ['--version']);
    return true;
  } catch (error) {
    // wrk --version prints its banner and exits 1; only a missing binary is "not available".
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * The closed loop autocannonLoop runs, driven by wrk: a separate process in C, so the load
 * generator's CPU is neither in this process nor in the measured server's (autocannon, in
 * process, charged its request building and response parsing to the API). Each request is
 * a Shield action of its own (wrk_actions.lua). The target must be this machine.
 */
export async function wrkActionLoop(options: {
  url: string;
  token: string;
  organizationId: string;
  /** Comment ids are `<commentPrefix>-c<n>`: unique to this loop. */
  commentPrefix: string;
  /** Offenders are `<userPrefix>-u<n % users>`, as the other paths of the bench name them. */
  userPrefix: string;
  users: number;
  connections: number;
  seconds: number;
}): Promise<HttpLoopResult> {
  const target = new URL('/v1/shield/actions', options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error('the HTTP bench only targets loopback');
  const { stdout } = await run(
    'wrk',
    ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', script, target.href],
    {
      env: {
        ...process.env,
        BENCH_TOKEN: options.token,
        BENCH_ORGANIZATION_ID: options.organizationId,
        BENCH_COMMENT_PREFIX: options.commentPrefix,
        BENCH_USER_PREFIX: options.userPrefix,
        BENCH_USERS: String(options.users),
      },
      maxBuffer: 1 << 20,
    },
  );
  const line = stdout.split('\n').find((text) => text.startsWith('{"requests"'));
  if (line === undefined) throw new Error(`wrk printed no figures:\n${stdout.slice(0, 500)}`);
  const figures = JSON.parse(line) as {
    requests: number;
    duration_us: number;
    non2xx: number;
    socket_errors: number;
    p50_us: number;
    p95_us: number;
    p99_us: number;
    max_us: number;
    mean_us: number;
  };
  const succeeded = figures.requests - figures.non2xx;
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    requestsPerSecond: Math.round((succeeded / (figures.duration_us / 1e6)) * 10) / 10,
    succeeded,
    errors: figures.non2xx + figures.socket_errors,
    // wrk's latencies include the non-2xx answers; the bench's runs have none (errors column).
    latencyMs: {
      p50: ms(figures.p50_us),
      p95: ms(figures.p95_us),
      p99: ms(figures.p99_us),
      max: ms(figures.max_us),
      mean: ms(figures.mean_us),
    },
  };
}
