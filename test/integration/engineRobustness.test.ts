import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode, LockHeldError } from '../../src/errors.js';
import { acquireLease, type LeaseRecord } from '../../src/engine/lease.js';
import { runChecklist } from '../../src/engine/runner.js';
import { spawnCollecting, timesStarted } from './engineProcess.js';
import { bundle } from '../support/bundle.js';
import { engineFile, stagingChecklist } from './engineSupport.js';

const { staging, ws } = engineFile({ migrateTo: 'none' });

const leasePath = (name: string) => join(ws.stateDir, 'leases', `${name}.json`);

/** A lease left behind by a run that expired a minute ago (its machine went away). */
async function plantStaleLease(name: string): Promise<LeaseRecord> {
  const record: LeaseRecord = {
    holder: 'gone@elsewhere',
    host: `not-${hostname()}`,
    pid: 424242,
    runId: 'run-of-the-dead',
    acquiredAt: new Date(Date.now() - 120_000).toISOString(),
    expiresAt: new Date(Date.now() - 60_000).toISOString(),
  };
  await mkdir(join(ws.stateDir, 'leases'), { recursive: true, mode: 0o700 });
  await writeFile(leasePath(name), `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return record;
}

/**
 * A refresh every 5 ms on a loaded machine can be mid-swap at each of a takeover's ten looks
 * (250 ms): it is then refused as "being taken over right now", the answer to a concurrent
 * claim, and an operator would try again. So does this, until it gets in.
 */
async function takeOverDespiteRefreshes<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 20 || !(error instanceof LockHeldError) || !/being taken over right now/.test(error.message))
        throw error;
    }
  }
}

/** Polls until `probe` gives a value (true counts as one). */
async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pid no process has: the max pid is far below 2^22 - 1 on this machine's defaults, and we check. */
function deadPid(): number {
  const pid = 4_194_303;
  expect(() => process.kill(pid, 0)).toThrow();
  return pid;
}

async function leaseOnDisk(name: string): Promise<LeaseRecord> {
  return JSON.parse(await readFile(leasePath(name), 'utf8')) as LeaseRecord;
}

describe('lease takeover race', () => {
  it('eight takeovers of the same stale lease launched together: exactly one wins, every other is refused naming it (50 rounds)', async () => {
    const rounds = 50;
    const racers = 8;
    for (let round = 0; round < rounds; round++) {
      const name = `race-${round}`;
      await plantStaleLease(name);
      const attempts = await Promise.allSettled(
        Array.from({ length: racers }, (_, i) =>
          acquireLease({
            stateDir: ws.stateDir,
            name,
            runId: `run-${round}-${i}`,
            takeOver: true,
            heartbeatMs: 600_000,
          }),
        ),
      );
      const won = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      expect(won, `round ${round}`).toHaveLength(1);
      const winner = won[0]!;
      expect(winner.tookOver?.previous.runId).toBe('run-of-the-dead');
      expect(await leaseOnDisk(name)).toEqual(winner.record);
      for (const attempt of attempts) {
        if (attempt.status === 'fulfilled') continue;
        expect(attempt.reason).toBeInstanceOf(LockHeldError);
        expect((attempt.reason as LockHeldError).exitCode).toBe(ExitCode.lockHeld);
        expect((attempt.reason as Error).message).toContain(`run ${winner.record.runId}`);
      }
      expect(winner.lost()).toBe(false);
      await winner.release();
    }
  });

  it('four processes taking over the same stale leases at the same instant: one winner per lease (20 rounds)', async () => {
    const rounds = 20;
    for (let round = 0; round < rounds; round++) await plantStaleLease(`proc-${round}`);
    const racer = await bundle(fileURLToPath(new URL('./leaseRacer.ts', import.meta.url)), {
      outdir: join(ws.dir, 'racer'),
    });
    const children = Array.from({ length: 4 }, () =>
      spawnCollecting(process.execPath, [racer, ws.stateDir, 'proc', String(rounds), '100'], {}),
    );
    // Start together: once every racer has loaded, they all get the same start time.
    await until(() => children.every((c) => c.output().startsWith('ready')));
    const startAt = Date.now() + 200;
    for (const child of children) child.child.stdin.write(`${startAt}\n`);
    await until(() => children.every((c) => c.output().endsWith('done\n')));
    for (const child of children) child.child.stdin.end();
    const exits = await Promise.all(children.map((c) => c.done));

    const results = exits.map((exit, i) => {
      expect(exit.code, exit.err).toBe(0);
      return exit.out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => ({
          ...(JSON.parse(line) as { round: number; won: boolean; message?: string; code?: string }),
          pid: children[i]!.child.pid,
        }));
    });
    for (let round = 0; round < rounds; round++) {
      const attempts = results.map((r) => r.find((a) => a.round === round)!);
      const winners = attempts.filter((a) => a.won);
      expect(winners, `round ${round}`).toHaveLength(1);
      const onDisk = await leaseOnDisk(`proc-${round}`);
      expect(onDisk.pid).toBe(winners[0]!.pid);
      for (const loser of attempts.filter((a) => !a.won)) {
        expect(loser.code).toBe('lock_held');
        expect(loser.message).toContain(`pid ${onDisk.pid}, run racer-${onDisk.pid}`);
      }
    }
  });

  it('a heartbeat never overwrites a lease taken over from it, and release never removes it (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const name = `beat-${round}`;
      // Born expired and refreshed every 5 ms: each takeover races the old holder's heartbeat.
      const holder = await acquireLease({
        stateDir: ws.stateDir,
        name,
        runId: `holder-${round}`,
        ttlMs: -1000,
        heartbeatMs: 5,
      });
      await new Promise((r) => setTimeout(r, 3));
      const taker = await takeOverDespiteRefreshes(() =>
        acquireLease({ stateDir: ws.stateDir, name, runId: `taker-${round}`, takeOver: true, heartbeatMs: 600_000 }),
      );
      // Until the holder's heartbeat has met the takeover (an order, not a time: a busy machine delays timers).
      await until(() => holder.lost());
      expect(await leaseOnDisk(name), `round ${round}`).toEqual(taker.record);
      expect(await holder.check()).toEqual({ held: false, holder: taker.record });
      await holder.release();
      expect(await leaseOnDisk(name)).toEqual(taker.record);
      await taker.release();
      expect(existsSync(leasePath(name))).toBe(false);
    }
  });

  it('claims left by takeovers that died mid-way (dead pid; or silent for over 30 s) do not block the next one, and are cleaned up', async () => {
    const stale = await plantStaleLease('crashed');
    const text = await readFile(leasePath('crashed'), 'utf8');
    const claim = (level: number) =>
      join(
        ws.stateDir,
        'leases',
        `.crashed.json.${createHash('sha256').update(text).digest('hex').slice(0, 16)}.claim-${level}`,
      );
    const claimant = (pid: number) =>
      JSON.stringify({ ...stale, holder: 'crashed@here', host: hostname(), pid, runId: 'crashed-run' });
    await writeFile(claim(0), claimant(deadPid()));
    await writeFile(claim(1), claimant(process.pid));
    const longAgo = new Date(Date.now() - 31_000);
    await utimes(claim(1), longAgo, longAgo);

    const lease = await acquireLease({
      stateDir: ws.stateDir,
      name: 'crashed',
      runId: 'next-operator',
      takeOver: true,
      heartbeatMs: 600_000,
    });
    expect(lease.tookOver?.previous.runId).toBe('run-of-the-dead');
    expect(await leaseOnDisk('crashed')).toEqual(lease.record);
    expect((await readdir(join(ws.stateDir, 'leases'))).filter((f) => f.includes('.claim-'))).toEqual([]);
    await lease.release();
  });
});

describe('lease lost mid-run', () => {
  it('a run whose lease is taken over during a slow step stops before its next step (exit 4), naming who took it', async () => {
    const marker = join(ws.dir, 'mutated');
    const checklist = await ws.writeChecklist(
      stagingChecklist(
        'robust-test',
        `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: slow, kind: command, title: Slow command, run: [sleep, "1.5"] }
      - { id: mutate, kind: command, title: Mutating command, run: [touch, ${JSON.stringify(marker)}] }`,
      ),
    );
    // A 300 ms lease that no heartbeat refreshes: it is stale while the slow step runs, as if this process had stalled.
    const running = runChecklist({
      checklist,
      environment: 'staging',
      stateDir: ws.stateDir,
      env: { PATH: process.env.PATH ?? '', STAGING_URL: staging.url },
      lease: { ttlMs: 300, heartbeatMs: 600_000 },
    });
    const runId = await until(async () => {
      const [id] = await readdir(join(ws.stateDir, 'runs')).catch(() => []);
      // The run directory exists a moment before its log does.
      return id !== undefined && timesStarted(await ws.events(id).catch(() => []), 'slow') === 1 && id;
    });
    await new Promise((r) => setTimeout(r, 400));
    const taker = await acquireLease({
      stateDir: ws.stateDir,
      name: 'robust-test.staging',
      runId: 'the-other-operator',
      takeOver: true,
    });
    expect(taker.tookOver?.reason).toContain('expired');

    const result = await running;
    expect(result.error).toBeInstanceOf(LockHeldError);
    expect((result.error as LockHeldError).exitCode).toBe(ExitCode.lockHeld);
    expect(result.error?.message).toContain(
      `taken over by ${taker.record.holder} (pid ${process.pid}, run the-other-operator)`,
    );
    expect(result.error?.message).toContain('stopped before its next step');
    const events = await ws.events(runId);
    expect(timesStarted(events, 'mutate')).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'lease_lost', stepId: 'mutate' });
    expect(existsSync(marker)).toBe(false);
    // The stopped run released nothing that is not its own: the taker still holds the lease.
    expect(await leaseOnDisk('robust-test.staging')).toEqual(taker.record);
    expect(await taker.check()).toEqual({ held: true });
    await taker.release();
  });
});
