import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { createLineRenderer } from '../../src/engine/renderers/lines.js';
import { silentRenderer, type RunRenderer } from '../../src/engine/renderers/types.js';
import { runChecklist } from '../../src/engine/runner.js';
import type { TestDatabase } from '../support/database.js';
import { interruptibleChecklist, shipcheckBin, spawnOnTerminal, type CliProcess } from './engineProcess.js';
import { engineTest, type Workspace } from './engineSupport.js';

/**
 * What an operator sees when a run resumes: the steps done in an earlier session
 * shown as done (live list on a TTY, plain lines elsewhere), and the interrupted-step
 * question on a terminal the live list leaves alone until it is answered.
 */

/** Each test's own workspace and database, and what its tests do there. */
const it = engineTest({ migrateTo: 'none' }).extend('resume', async ({ staging, ws }) => {
  const file = join(ws.dir, 'checklist.yaml');
  const marker = join(ws.dir, 'marker');
  return {
    ws,
    marker,
    runEnv: () => runEnv(staging),
    interruptAt: (event: 'step_started' | 'step_progress', stepId: string) =>
      interruptAt(staging, ws, marker, event, stepId),
    resumeOnTerminal: () => resumeOnTerminal(staging, ws, file),
  };
});

/** Ctrl-C (in-process, fast) once `stepId` started or reported progress: slow-check then finishes, slow-command is cut short. */
async function interruptAt(
  staging: TestDatabase,
  ws: Workspace,
  marker: string,
  event: 'step_started' | 'step_progress',
  stepId: string,
): Promise<void> {
  const checklist = await ws.writeChecklist(interruptibleChecklist(marker));
  const controller = new AbortController();
  const renderer: RunRenderer = {
    ...silentRenderer,
    event: (e) => {
      if (e.type === event && e.stepId === stepId) controller.abort();
    },
  };
  const result = await runChecklist({
    checklist,
    environment: 'staging',
    stateDir: ws.stateDir,
    env: runEnv(staging),
    signal: controller.signal,
    renderer,
  });
  expect(result.error?.message).toContain('interrupted by the operator (Ctrl-C)');
}

const runEnv = (staging: TestDatabase) => ({ PATH: process.env.PATH ?? '', STAGING_URL: staging.url });

function resumeOnTerminal(staging: TestDatabase, ws: Workspace, file: string): CliProcess {
  return spawnOnTerminal(
    [process.execPath, shipcheckBin, 'run', file, '--env', 'staging', '--state-dir', ws.stateDir],
    { STAGING_URL: staging.url },
  );
}

async function untilShown(terminal: CliProcess, text: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!terminal.output().includes(text)) {
    if (Date.now() > deadline || terminal.child.exitCode !== null)
      throw new Error(`"${text}" never shown (exit ${terminal.child.exitCode}):\n${terminal.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const hideCursor = '\x1b[?25l';
const showCursor = '\x1b[?25h';
const cursorUp = '\x1b[1A';

// Each test has its own workspace and database: they overlap.
describe.concurrent('a resumed run shows the steps done in an earlier session as done', () => {
  it('live list on a TTY: "passed in an earlier session", never "not run"', async ({
    resume: { marker, interruptAt, resumeOnTerminal },
  }) => {
    await interruptAt('step_started', 'slow-check');
    await writeFile(marker, 'go');
    const { code, out } = await resumeOnTerminal().done;

    expect(code, out).toBe(0);
    expect(out).toContain('Slow read-only check — passed in an earlier session');
    expect(out).not.toContain('not run');
    expect(out).toMatch(/After — got 1 row/);
  });

  it('plain lines say the same, once, right after "resuming run"', async ({
    resume: { ws, marker, interruptAt, runEnv },
  }) => {
    await interruptAt('step_started', 'slow-check');
    await writeFile(marker, 'go');
    const lines: string[] = [];
    const checklist = await ws.writeChecklist(interruptibleChecklist(marker));
    const result = await runChecklist({
      checklist,
      environment: 'staging',
      stateDir: ws.stateDir,
      env: runEnv(),
      renderer: createLineRenderer((l) => lines.push(l)),
    });

    expect(result.error).toBeUndefined();
    expect(lines[0]).toMatch(/^resuming run \S+ \(/);
    expect(lines[1]).toBe('✔ Slow read-only check — passed in an earlier session');
    expect(lines.filter((l) => l.includes('Slow read-only check'))).toHaveLength(1);
  });
});

describe('the interrupted-step question and the live list', () => {
  it('the question is asked with the cursor visible and nothing redrawn over it; the list is drawn after the answer', async ({
    resume: { marker, interruptAt, resumeOnTerminal },
  }) => {
    await interruptAt('step_progress', 'slow-command');
    await writeFile(marker, 'go');
    const terminal = resumeOnTerminal();
    const question = 'or s[t]op? ';
    await untilShown(terminal, question);
    // Long enough for listr2's 100 ms redraw timer to have fired several times, had the list been drawing.
    await new Promise((r) => setTimeout(r, 500));
    const whileAsked = terminal.output().slice(terminal.output().indexOf('was interrupted mid-way'));
    terminal.child.stdin.write('r\r');
    const { code, out } = await terminal.done;

    expect(code, out).toBe(0);
    expect(whileAsked).toContain(question);
    expect(whileAsked).not.toContain(hideCursor);
    expect(whileAsked).not.toContain(cursorUp);
    const answered = out.indexOf(question) + question.length;
    expect(out.indexOf(hideCursor)).toBeGreaterThan(answered);
    expect(out.lastIndexOf(showCursor)).toBeGreaterThan(out.lastIndexOf(hideCursor));
    expect(out).toContain('Slow read-only check — passed in an earlier session');
    expect(out).not.toContain('not run');
  });
});
