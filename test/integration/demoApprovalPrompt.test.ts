import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminUrl } from '../support/database.js';
import { onlyRunEvents, shipcheckBin, spawnOnTerminal, type CliProcess } from './engineProcess.js';

/**
 * The only approval question shipcheck asks: `demo` without --approve-as, on a TTY
 * (`run` never asks; it stops with exit 3). Asked for real on a pseudo-terminal; the
 * answer rejects, which ends the demo at the first sign-off (~20 s: the staging
 * phases run first, with 1 s monitor windows).
 */

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'shipcheck-demo-prompt-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** Types `keys` once `question` has appeared `times` times on the terminal. */
async function whenAsked(terminal: CliProcess, question: string, keys: string, times = 1): Promise<void> {
  const deadline = Date.now() + 50_000;
  while (terminal.output().split(question).length - 1 < times) {
    if (Date.now() > deadline || terminal.child.exitCode !== null) {
      throw new Error(`"${question}" was not asked (exit ${terminal.child.exitCode}); the terminal shows:\n${terminal.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  terminal.child.stdin.write(keys);
}

describe('demo: the product owner sign-off asked on a TTY', () => {
  it('asks the name, asks the decision again after an answer it does not know, records the rejection with name and OS user (exit 1)', async () => {
    const terminal = spawnOnTerminal([process.execPath, shipcheckBin, 'demo', '--state-dir', stateDir, '--monitor-window', '1s'], {
      DATABASE_URL: adminUrl(),
    });
    await whenAsked(terminal, 'Your name (empty: stop here', 'Ana García (PO)\r');
    await whenAsked(terminal, 'Decision [a]pproved / [r]ejected', 'maybe\r');
    await whenAsked(terminal, 'Decision [a]pproved / [r]ejected', 'r\r', 2);
    const { code, out } = await terminal.done;

    expect(code, out).toBe(1);
    expect(out).toContain('Product owner sign-off (APPROVED / CONDITIONAL / REJECTED) — the Product Owner decides');
    expect(out).toContain('== shipcheck demo: REJECTED (exit 1) ==');
    expect(out).toMatch(/Databases: \S+ and \S+ dropped/);
    const events = await onlyRunEvents(stateDir);
    expect(events.filter((e) => e.type === 'approval_recorded')).toEqual([
      expect.objectContaining({ stepId: 'po-signoff', by: 'Ana García (PO)', decision: 'rejected', osUser: userInfo().username }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'rejected' });
  }, 90_000);
});
