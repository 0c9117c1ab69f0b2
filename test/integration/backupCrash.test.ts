import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findRecordedBackup } from '../../src/backup/recordedBackup.js';
import { childrenDirName } from '../../src/process/children.js';
import type { LeftoversCleared, StepFinished } from '../../src/engine/events.js';
import { onlyRunEvents, spawnShipcheck, waitForRunLog } from './engineProcess.js';
import { engineFile, stagingChecklist } from './engineSupport.js';

/**
 * kill -9 of shipcheck during a pg_dump backup. Before: the password file stayed in the system
 * temp directory and the orphaned pg_dump went on writing a file no event referenced.
 * A stand-in pg_dump on PATH makes the timing certain: it writes a little, notes its pid and
 * the passfile it was given, then sleeps without writing (so only shipcheck can end it).
 */
const { staging, ws } = engineFile({ migrateTo: 'none' });
beforeAll(async () => {
  await staging.db.query(
    "create table public.accounts (id int primary key, name text); insert into public.accounts select i, 'n' || i from generate_series(1, 50) i",
  );
});

const checklist = stagingChecklist(
  'backup-crash',
  `  - id: backup
    title: Backup
    environment: staging
    steps:
      - { id: backup, kind: backup, title: Back up accounts, tables: [public.accounts] }`,
);

/** Running, and not a zombie waiting for its new parent to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function standInPgDump(): Promise<{ path: string; marker: string }> {
  const bin = join(ws.dir, 'bin');
  const marker = join(ws.dir, 'pg_dump.started');
  await mkdir(bin);
  await writeFile(
    join(bin, 'pg_dump'),
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi\necho "-- pg_dump stand-in: partial output"\nprintf '%s\\n%s\\n' "$$" "$PGPASSFILE" > ${JSON.stringify(marker)}\nexec sleep 120\n`,
  );
  await chmod(join(bin, 'pg_dump'), 0o755);
  return { path: `${bin}:${process.env.PATH}`, marker };
}

/** Where shipcheck records a child while it runs (src/process/children.ts), in the only run's directory. */
function childPidFile(pid: number): string {
  const runs = join(ws.stateDir, 'runs');
  const [run] = existsSync(runs) ? readdirSync(runs) : [];
  return join(runs, run ?? '-', childrenDirName, `${pid}.json`);
}

const startedDump = (marker: string) =>
  expect
    .poll(() => existsSync(marker) && readFileSync(marker, 'utf8').split('\n').length >= 3, {
      timeout: 30_000,
      interval: 50,
    })
    .toBe(true);

describe('kill -9 during a pg_dump backup', () => {
  it('SIGTERM (a CI job cancelled) takes pg_dump down with shipcheck at once', async () => {
    const { path, marker } = await standInPgDump();
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, checklist);
    const run = spawnShipcheck(ws.stateDir, ['run', file, '--env', 'staging'], {
      STAGING_URL: staging.url,
      PATH: path,
    });
    await startedDump(marker);
    const [pidText, passfile] = (await readFile(marker, 'utf8')).split('\n');
    const pid = Number(pidText);
    expect(alive(pid)).toBe(true);
    expect(existsSync(passfile!)).toBe(true);
    run.kill('SIGTERM');
    expect((await run.done).signal).toBe('SIGTERM');
    await expect.poll(() => alive(pid), { timeout: 5000, interval: 50 }).toBe(false);
    expect(existsSync(passfile!), 'the password file is removed as shipcheck ends').toBe(false);
  }, 60_000);

  it('leaves no password outside the run directory; the next start kills the orphan, removes the passfile and records the partial file as abandoned', async () => {
    const { path, marker } = await standInPgDump();
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, checklist);
    const tempBefore = new Set((await readdir(tmpdir())).filter((n) => n.startsWith('shipcheck-pgpass-')));

    const first = spawnShipcheck(ws.stateDir, ['run', file, '--env', 'staging'], {
      STAGING_URL: staging.url,
      PATH: path,
    });
    await startedDump(marker);
    const [pidText, passfile] = (await readFile(marker, 'utf8')).split('\n');
    const pid = Number(pidText);
    // The stand-in may write its marker before shipcheck, descheduled on a busy machine, has
    // recorded it: the kill comes once the pid file is there, as in the case this test is about.
    await expect
      .poll(async () => (await onlyRunEvents(ws.stateDir)).length > 0 && existsSync(childPidFile(pid)), {
        timeout: 30_000,
        interval: 50,
      })
      .toBe(true);
    first.kill();
    expect((await first.done).signal).toBe('SIGKILL');

    const events = await onlyRunEvents(ws.stateDir);
    const runDir = join(ws.stateDir, 'runs', (events[0] as { runId: string }).runId);
    // The password sits in the run directory (0700), 0600, never in the shared temp directory.
    expect(passfile!.startsWith(join(runDir, 'backups', '.pgpass-'))).toBe(true);
    expect((await stat(passfile!)).mode & 0o777).toBe(0o600);
    expect((await stat(runDir)).mode & 0o777).toBe(0o700);
    expect((await readdir(tmpdir())).filter((n) => n.startsWith('shipcheck-pgpass-') && !tempBefore.has(n))).toEqual(
      [],
    );
    expect(alive(pid), 'the orphaned pg_dump still runs after kill -9').toBe(true);

    // The next start (the stand-in gone from PATH: the built-in backup runs this time).
    const resumed = await spawnShipcheck(ws.stateDir, ['run', file, '--env', 'staging', '--take-over'], {
      STAGING_URL: staging.url,
    }).done;
    expect(resumed.code, resumed.err).toBe(0);
    await expect.poll(() => alive(pid), { timeout: 5000, interval: 50 }).toBe(false);
    expect(existsSync(passfile!)).toBe(false);

    const after = await waitForRunLog(ws.stateDir, (e) => e.some((x) => x.type === 'run_finished'));
    const cleared = after.find((e): e is LeftoversCleared => e.type === 'leftovers_cleared')!;
    expect(cleared.children).toEqual([expect.objectContaining({ pid, killed: true })]);
    expect(cleared.passfiles).toBe(1);
    const finished = after
      .filter((e): e is StepFinished => e.type === 'step_finished' && e.stepId === 'backup')
      .at(-1)!;
    expect(finished.status).toBe('passed');
    const [backup, abandoned] = finished.outcome!.evidence!;
    expect(backup!.path).toMatch(/^backups\/backup-.*\.sql$/);
    expect(abandoned).toMatchObject({
      path: expect.stringMatching(/\.sql\.partial$/),
      description: expect.stringMatching(/^abandoned:.*not a backup$/),
    });
    expect(findRecordedBackup('run', after).evidence.path).toBe(backup!.path);
    expect((finished.outcome!.observed as { abandoned: unknown[] }).abandoned).toHaveLength(1);
    expect((await readdir(join(runDir, 'backups'))).filter((n) => n.startsWith('.pgpass-'))).toEqual([]);
  });
});
