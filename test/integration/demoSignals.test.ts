import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { Database } from '../../src/db/database.js';
import { ExitCode } from '../../src/errors.js';
import { adminUrl } from '../support/database.js';
import { it } from '../support/fixtures.js';
import {
  onlyRunEvents,
  shipcheckBin,
  spawnCollecting,
  spawnOnTerminal,
  timesStarted,
  waitForRunLog,
} from './engineProcess.js';

/**
 * Ctrl-C during `shipcheck demo`: the staging run stops where it was (exit 130, resumable
 * log), the summary says so, and nothing is left on the server or in the temp directory.
 * On a terminal Ctrl-C reaches the whole process group, the embedded postmaster with it.
 */

const monitoring = (stepId: string) => (events: Parameters<typeof timesStarted>[0]) =>
  timesStarted(events, stepId) === 1;
/**
 * The step Ctrl-C lands in: staging's baseline, a 3 s window under Shield load, the demo's
 * first long step. What is tested is the demo's stop (summary, databases, server), the same
 * in any step; stopping in a later one only added the migration, the checks and a nested
 * run of the Shield E2E suite (~50 s) before it.
 */
const windowStep = 'staging-baseline';
const embeddedDataDirs = async (dir: string) => (await readdir(dir)).filter((name) => name.startsWith('shipcheck-pg-'));

// Most of a demo is waiting (monitor windows, load): the two overlap.
describe.concurrent('demo: Ctrl-C', () => {
  it('on a terminal with the embedded server: the run stops (exit 130), the summary says where, the server and its directory are gone', async ({
    tempDir,
  }) => {
    // The demo's embedded server goes into a TMPDIR of its own, where what it leaves is visible
    // (other suites on the machine start servers in the shared one); as root the server runs
    // as the postgres user, which must be able to reach it.
    const stateDir = join(tempDir, 'state');
    const scratch = join(tempDir, 'tmp');
    await mkdir(scratch, { mode: 0o755 });
    await chmod(tempDir, 0o755);
    const terminal = spawnOnTerminal(
      [
        process.execPath,
        shipcheckBin,
        'demo',
        '--approve-as',
        'Ana (PO)',
        '--state-dir',
        stateDir,
        '--monitor-window',
        '3s',
      ],
      { TMPDIR: scratch },
    );
    await waitForRunLog(stateDir, monitoring(windowStep), 150_000);
    const serverDirs = await embeddedDataDirs(scratch);
    terminal.child.stdin.write('\x03');
    const { code, out } = await terminal.done;

    expect(serverDirs).toHaveLength(1);
    expect(code, out).toBe(ExitCode.interrupted);
    expect(out).toContain('== shipcheck demo: INTERRUPTED by Ctrl-C (exit 130) ==');
    expect(out).toMatch(
      /Stopped the staging run \S+: interrupted by the operator \(Ctrl-C\) during step staging-baseline/,
    );
    expect(out).not.toContain('could not be dropped');
    const events = await onlyRunEvents(stateDir);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted', stepId: windowStep });
    expect(await embeddedDataDirs(scratch)).toEqual([]);
  }, 240_000);

  it("with DATABASE_URL's server: SIGINT stops the run (exit 130) and the demo's databases are dropped", async ({
    tempDir: stateDir,
  }) => {
    const demo = spawnCollecting(
      process.execPath,
      [shipcheckBin, 'demo', '--approve-as', 'Ana (PO)', '--state-dir', stateDir, '--monitor-window', '3s'],
      { DATABASE_URL: adminUrl() },
    );
    await waitForRunLog(stateDir, monitoring(windowStep), 150_000);
    demo.kill('SIGINT');
    const { code, out, err } = await demo.done;

    expect(code, err).toBe(ExitCode.interrupted);
    expect(out).toContain('== shipcheck demo: INTERRUPTED by Ctrl-C (exit 130) ==');
    const names = /Databases: (\S+) and (\S+) dropped/.exec(out);
    expect(names, out).not.toBeNull();
    const admin = Database.connect(adminUrl(), { max: 1 });
    try {
      const { rows } = await admin.query<{ datname: string }>(
        'select datname from pg_database where datname = any($1)',
        [names!.slice(1, 3)],
      );
      expect(rows).toEqual([]);
    } finally {
      await admin.close();
    }
    expect((await onlyRunEvents(stateDir)).at(-1)).toMatchObject({ type: 'run_stopped', reason: 'interrupted' });
  }, 240_000);
});
