import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { parseEvents } from '../../src/engine/runLog.js';
import { stagingChecklist } from './engineSupport.js';

/** The CLI entry point an operator runs: `bin/shipcheck.js`, which compiles the sources through tsx as it starts. */
export const operatorBin = fileURLToPath(new URL('../../bin/shipcheck.js', import.meta.url));

/**
 * The CLI for tests that spawn it: the same `main` compiled from the current sources once
 * per suite run (test/support/cliBuild.ts), so a spawn does not pay tsx's start-up (~0.5 s).
 */
export const shipcheckBin = inject('shipcheckEntry');

export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly done: Promise<Exited>;
  /** Everything written to stdout so far. */
  output(): string;
  /** Everything written to stderr so far. */
  errors(): string;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Spawns a program with only PATH and `env` in its environment (the operator's own
 * variables never leak into a test run), collecting its output.
 */
export function spawnCollecting(file: string, args: readonly string[], env: Record<string, string>): CliProcess {
  const child = spawn(file, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return {
    child,
    done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err }))),
    output: () => out,
    errors: () => err,
    kill: (signal = 'SIGKILL') => child.kill(signal),
  };
}

/** `node bin/shipcheck.js ARGS --state-dir DIR`, stdin open but unused (not a TTY). */
export function spawnShipcheck(stateDir: string, args: readonly string[], env: Record<string, string>): CliProcess {
  return spawnCollecting(process.execPath, [shipcheckBin, ...args, '--state-dir', stateDir], env);
}

/** The events of the only run in the state dir ([] until it has one). */
export async function onlyRunEvents(stateDir: string): Promise<RunEvent[]> {
  const runs = await readdir(join(stateDir, 'runs')).catch(() => []);
  if (runs.length === 0) return [];
  if (runs.length > 1) throw new Error(`expected one run in ${stateDir}, found ${runs.length}`);
  return parseEvents(await readFile(join(stateDir, 'runs', runs[0]!, 'events.jsonl'), 'utf8').catch(() => ''));
}

/** Polls the run log until `predicate` holds. */
export async function waitForRunLog(
  stateDir: string,
  predicate: (events: RunEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<RunEvent[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const events = await onlyRunEvents(stateDir);
    if (predicate(events)) return events;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting for the run log');
}

/** How many times the run log says a step was started. */
export function timesStarted(events: readonly RunEvent[], stepId: string): number {
  return events.filter((e) => e.type === 'step_started' && e.stepId === stepId).length;
}

/**
 * Runs `command` on a pseudo-terminal (util-linux `script`), so the CLI sees a TTY
 * on stdin, stdout and stderr: what an operator types goes to `child.stdin`, and
 * the terminal's output (with echo) comes back on stdout. 200 columns, so lines
 * are not wrapped at an unset width.
 */
export function spawnOnTerminal(command: readonly string[], env: Record<string, string>): CliProcess {
  const line = `stty cols 200 rows 50; exec ${command.map(shellQuote).join(' ')}`;
  return spawnCollecting('script', ['-qfec', line, '/dev/null'], env);
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `node -e` script that waits until the file named by its argument exists. It polls, so an
 * orphan left by kill -9 exits as soon as the test writes the marker (no stray process), or
 * once the marker's directory is gone: a workspace removed right after the marker was written
 * (within one poll) would otherwise leave it polling forever.
 */
export const waitForMarkerScript = `const fs=require('fs');const p=process.argv[1];const d=require('path').dirname(p);const t=setInterval(()=>{if(fs.existsSync(p)||!fs.existsSync(d)){clearInterval(t)}},100)`;

/**
 * A checklist whose non-idempotent step (a command, `on_fail: rollback`) waits until
 * the file `marker` exists, between a slow read-only check and a last check: the
 * shape every interruption test needs (kill -9, Ctrl-C, a lost lease, the prompt).
 */
export function interruptibleChecklist(marker: string): string {
  const wait = waitForMarkerScript;
  return stagingChecklist(
    'resume-test',
    `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: slow-check, kind: sql, title: Slow read-only check, query: "select 1 as one from pg_sleep(0.8)", expect: { rows: [[1]] } }
      - id: slow-command
        kind: command
        title: Slow command
        run: [node, -e, ${JSON.stringify(wait)}, ${JSON.stringify(marker)}]
        timeout: 2m
        on_fail: rollback
      - { id: after, kind: sql, title: After, query: "select 1 as one", expect: { rows: [[1]] } }`,
  );
}
