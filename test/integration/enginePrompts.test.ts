import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentHolder } from '../../src/engine/lease.js';
import { silentRenderer } from '../../src/engine/renderers/types.js';
import { interruptedStepDecision } from '../../src/engine/renderers/interruptedStepPrompt.js';
import { runChecklist } from '../../src/engine/runner.js';
import { ExitCode } from '../../src/errors.js';
import type { TestDatabase } from '../support/database.js';
import {
  interruptibleChecklist,
  onlyRunEvents,
  shipcheckBin,
  spawnOnTerminal,
  timesStarted,
  type CliProcess,
} from './engineProcess.js';
import { engineTest, type Workspace } from './engineSupport.js';

/**
 * The question a TTY operator gets about an interrupted, non-idempotent step, asked
 * for real: the CLI runs on a pseudo-terminal (util-linux `script`) and the test
 * types the answers.
 */

/** The state Ctrl-C leaves: the command step started, cut short, not finished (built in-process: fast). */
async function interruptCommandStep(staging: TestDatabase, ws: Workspace, marker: string): Promise<void> {
  const checklist = await ws.writeChecklist(interruptibleChecklist(marker));
  const controller = new AbortController();
  const result = await runChecklist({
    checklist,
    environment: 'staging',
    stateDir: ws.stateDir,
    env: { PATH: process.env.PATH ?? '', STAGING_URL: staging.url },
    signal: controller.signal,
    renderer: {
      ...silentRenderer,
      event: (event) => {
        if (event.type === 'step_progress' && event.stepId === 'slow-command') controller.abort();
      },
    },
  });
  expect(result.error?.message, result.error?.message).toContain(
    'interrupted by the operator (Ctrl-C) during step slow-command',
  );
}

const question = 'or s[t]op? ';

function runOnTerminal(staging: TestDatabase, ws: Workspace, file: string): CliProcess {
  return spawnOnTerminal(
    [process.execPath, shipcheckBin, 'run', file, '--env', 'staging', '--state-dir', ws.stateDir],
    {
      STAGING_URL: staging.url,
    },
  );
}

/** Types `keys` once the question has been asked `times` times (a cold start of the CLI on a busy machine takes a while). */
async function answer(terminal: CliProcess, keys: string, times = 1): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (terminal.output().split(question).length - 1 < times) {
    if (Date.now() > deadline || terminal.child.exitCode !== null) {
      throw new Error(`no question on the terminal (exit ${terminal.child.exitCode}); it shows:\n${terminal.output()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  terminal.child.stdin.write(keys);
}

async function exitOf(terminal: CliProcess): Promise<{ code: number | null; out: string }> {
  const exited = await terminal.done;
  return { code: exited.code, out: exited.out };
}

/** Each test's own workspace, its run interrupted in the command step, and the CLI on a terminal there. */
const interrupted = engineTest({ migrateTo: 'none' }).extend('run', async ({ staging, ws }) => {
  const file = join(ws.dir, 'checklist.yaml');
  const marker = join(ws.dir, 'marker');
  await interruptCommandStep(staging, ws, marker);
  return { ws, marker, runOnTerminal: () => runOnTerminal(staging, ws, file) };
});

// Each test has its own workspace and only reads the database: they overlap.
describe.concurrent('the interrupted-step question on a TTY', () => {
  const it = interrupted;

  it('r runs the step again after an answer it does not know is asked again', async ({
    run: { ws, marker, runOnTerminal },
  }) => {
    await writeFile(marker, 'go');
    const terminal = runOnTerminal();
    await answer(terminal, 'x\r');
    await answer(terminal, 'r\r', 2);
    const { code, out } = await exitOf(terminal);
    expect(code, out).toBe(0);
    expect(out).toContain('step "slow-command" (Slow command) was interrupted mid-way and is not idempotent');
    expect(out).toContain('Answer r (run it again), s (skip it: it completed) or t (stop).');
    const events = await onlyRunEvents(ws.stateDir);
    expect(['slow-check', 'slow-command', 'after'].map((id) => timesStarted(events, id))).toEqual([1, 2, 1]);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'passed' });
  });

  it('s records the step as skipped by the operator and goes on, without running it', async ({
    run: { ws, runOnTerminal },
  }) => {
    const terminal = runOnTerminal();
    await answer(terminal, 's\r');
    const { code, out } = await exitOf(terminal);
    expect(code, out).toBe(0);
    const events = await onlyRunEvents(ws.stateDir);
    expect(events.find((e) => e.type === 'step_skipped')).toMatchObject({
      stepId: 'slow-command',
      reason: 'interrupted; checked by hand and skipped',
      by: currentHolder(),
    });
    expect(['slow-check', 'slow-command', 'after'].map((id) => timesStarted(events, id))).toEqual([1, 1, 1]);
  });

  it.for([
    ['"stop"', 'stop\r'],
    ['Ctrl-C', '\x03'],
    ['Ctrl-D', '\x04'],
  ] as const)(
    '%s stops the run with exit 6 and the way to decide later; the step is neither run nor skipped',
    async ([, keys], { run: { ws, runOnTerminal } }) => {
      const terminal = runOnTerminal();
      await answer(terminal, keys);
      const { code, out } = await exitOf(terminal);
      expect(code, out).toBe(ExitCode.interruptedStep);
      expect(out).toContain('--retry-step slow-command');
      expect(out).not.toContain('internal error');
      const events = await onlyRunEvents(ws.stateDir);
      expect(events.some((e) => e.type === 'step_skipped')).toBe(false);
      expect(timesStarted(events, 'slow-command')).toBe(1);
      expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted_step', stepId: 'slow-command' });
    },
  );
});

describe('interruptedStepDecision', () => {
  it('reads whole answers only, so "stop" can never mean skip', () => {
    expect(['r', ' Run ', 'retry', 's', 'SKIP', 't', 'stop', 'st', 'yes', ''].map(interruptedStepDecision)).toEqual([
      'retry',
      'retry',
      'retry',
      'skip',
      'skip',
      'stop',
      'stop',
      undefined,
      undefined,
      undefined,
    ]);
  });
});
