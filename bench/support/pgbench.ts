import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgbenchResult {
  readonly callsPerSecond: number;
  readonly meanLatencyMs: number;
  readonly transactions: number;
}

/** Runs pgbench with a custom script; the password goes through PGPASSWORD, never argv. */
export async function runPgbench(options: {
  url: string;
  script: string;
  clients: number;
  seconds: number;
}): Promise<PgbenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'shipcheck-pgbench-'));
  const scriptPath = join(dir, 'script.sql');
  await writeFile(scriptPath, options.script, { mode: 0o600 });
  const url = new URL(options.url);
  const args = [
    '-n', '-M', 'prepared', '-f', scriptPath,
    '-c', String(options.clients), '-j', String(Math.min(options.clients, 2)), '-T', String(options.seconds),
    '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username),
    decodeURIComponent(url.pathname.slice(1)),
  ];
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('pgbench', args, {
        env: { PATH: process.env.PATH ?? '/usr/bin', PGPASSWORD: decodeURIComponent(url.password) },
      });
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.stderr.on('data', (chunk) => (text += chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`pgbench exited ${code}: ${text}`))));
    });
    const tps = /tps = ([\d.]+)/.exec(output);
    const latency = /latency average = ([\d.]+) ms/.exec(output);
    const processed = /number of transactions actually processed: (\d+)/.exec(output);
    if (!tps || !latency || !processed) throw new Error(`could not read pgbench's output:\n${output}`);
    return {
      callsPerSecond: Number(tps[1]),
      meanLatencyMs: Number(latency[1]),
      transactions: Number(processed[1]),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
