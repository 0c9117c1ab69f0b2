import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeLatencies, type LatencySummary } from '../../src/metrics/latency.js';

export type PgbenchProtocol = 'prepared' | 'extended' | 'simple';

export interface PgbenchResult {
  readonly callsPerSecond: number;
  readonly transactions: number;
  readonly failed: number;
  /** pgbench's own CPU time (user + system) per transaction, in microseconds. */
  readonly clientCpuMicrosPerCall: number;
  /** From pgbench's per-transaction log, so the percentiles compare with the Node paths'. */
  readonly latencyMs: LatencySummary;
}

/**
 * Runs pgbench with a custom script and returns its rate and latency percentiles. The
 * password goes through PGPASSWORD, never argv; `sessionOptions` (e.g. synchronous_commit=off)
 * through PGOPTIONS.
 */
export async function runPgbench(options: {
  url: string;
  script: string;
  clients: number;
  seconds: number;
  protocol?: PgbenchProtocol;
  sessionOptions?: Readonly<Record<string, string>>;
}): Promise<PgbenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'shipcheck-pgbench-'));
  const scriptPath = join(dir, 'script.sql');
  await writeFile(scriptPath, options.script, { mode: 0o600 });
  const url = new URL(options.url);
  const args = [
    '-n',
    '-M',
    options.protocol ?? 'prepared',
    '-f',
    scriptPath,
    '-c',
    String(options.clients),
    '-j',
    String(Math.min(options.clients, 2)),
    '-T',
    String(Math.max(1, Math.round(options.seconds))),
    '-l',
    '--log-prefix',
    join(dir, 'tx'),
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username),
    decodeURIComponent(url.pathname.slice(1)),
  ];
  const sessionOptions = Object.entries(options.sessionOptions ?? {}).map(([key, value]) => `-c ${key}=${value}`);
  try {
    const output = await new Promise<string>((resolve, reject) => {
      // bash's `times` reports the CPU its children used: pgbench's own cost per call.
      const child = spawn('bash', ['-c', 'pgbench "$@"; code=$?; times >&2; exit $code', 'pgbench', ...args], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin',
          PGPASSWORD: decodeURIComponent(url.password),
          ...(sessionOptions.length > 0 && { PGOPTIONS: sessionOptions.join(' ') }),
        },
      });
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.stderr.on('data', (chunk) => (text += chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`pgbench exited ${code}: ${text}`))));
    });
    const tps = /tps = ([\d.]+)/.exec(output);
    const processed = /number of transactions actually processed: (\d+)/.exec(output);
    const failed = /number of failed transactions: (\d+)/.exec(output);
    const cpu = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(output.trimEnd());
    if (!tps || !processed || !cpu) throw new Error(`could not read pgbench's output:\n${output}`);
    const cpuSeconds = Number(cpu[1]) * 60 + Number(cpu[2]) + Number(cpu[3]) * 60 + Number(cpu[4]);
    const transactions = Number(processed[1]);
    return {
      callsPerSecond: Number(tps[1]),
      transactions,
      failed: Number(failed?.[1] ?? 0),
      clientCpuMicrosPerCall: transactions === 0 ? Number.NaN : (cpuSeconds * 1e6) / transactions,
      latencyMs: summarizeLatencies(await readTransactionLatencies(dir)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** pgbench -l lines: client_id transaction_no time_us script_no epoch epoch_us. */
async function readTransactionLatencies(dir: string): Promise<number[]> {
  const latencies: number[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith('tx')) continue;
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (Number.isFinite(micros) && line.length > 0) latencies.push(micros / 1000);
    }
  }
  return latencies;
}
