import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, LockHeldError } from '../../src/errors.js';
import { acquireLease, type LeaseRecord } from '../../src/engine/lease.js';
import { spawnCollecting } from './engineProcess.js';
import { workspace, type Workspace } from './engineSupport.js';

const racer = fileURLToPath(new URL('./leaseRacer.ts', import.meta.url));

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await ws.remove();
});

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

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
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
          acquireLease({ stateDir: ws.stateDir, name, runId: `run-${round}-${i}`, takeOver: true, heartbeatMs: 600_000 }),
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
    const children = Array.from({ length: 4 }, () =>
      spawnCollecting(process.execPath, ['--import', 'tsx', racer, ws.stateDir, 'proc', String(rounds), '100'], {}),
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
        .map((line) => ({ ...(JSON.parse(line) as { round: number; won: boolean; message?: string; code?: string }), pid: children[i]!.child.pid }));
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
});
