import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../errors.js';
import { ensurePrivateDir } from './runLog.js';

/** What a lease file holds: who runs this checklist on this environment, until when. */
export interface LeaseRecord {
  readonly holder: string;
  readonly host: string;
  readonly pid: number;
  readonly runId: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

export interface LeaseOptions {
  readonly stateDir: string;
  /** checklist name + environment, e.g. migration-024.staging */
  readonly name: string;
  readonly runId: string;
  readonly takeOver?: boolean;
  readonly ttlMs?: number;
  readonly heartbeatMs?: number;
}

export interface HeldLease {
  readonly record: LeaseRecord;
  /** Set when the previous holder's stale lease was taken over. */
  readonly tookOver?: { readonly previous: LeaseRecord; readonly reason: string };
  /** True once a heartbeat found the lease file no longer ours (someone took it over). */
  lost(): boolean;
  release(): Promise<void>;
}

export function currentHolder(): string {
  return `${userInfo().username}@${hostname()}`;
}

/**
 * One run per checklist and environment: `.shipcheck/leases/<name>.json`,
 * created atomically (write a temp file, then link(2), which fails if the lease
 * exists), refreshed by a heartbeat, removed on release. A stale lease (expired,
 * or on this host with a dead pid) can be taken over with `takeOver`.
 *
 * @example
 * const lease = await acquireLease({ stateDir, name: 'migration-024.staging', runId });
 * try { … } finally { await lease.release(); }
 */
export async function acquireLease(options: LeaseOptions): Promise<HeldLease> {
  const ttlMs = options.ttlMs ?? 60_000;
  const dir = join(options.stateDir, 'leases');
  await ensurePrivateDir(dir);
  const path = join(dir, `${options.name}.json`);
  const fresh = (): LeaseRecord => {
    const now = Date.now();
    return {
      holder: currentHolder(),
      host: hostname(),
      pid: process.pid,
      runId: options.runId,
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttlMs).toISOString(),
    };
  };

  let record = fresh();
  let tookOver: HeldLease['tookOver'];
  const temp = await writeTemp(dir, record);
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const existing = await readLease(path);
    const staleness = existing ? staleReason(existing) : 'the lease file is unreadable';
    if (existing && !staleness) {
      throw new LockHeldError(
        `${options.name} is being run by ${existing.holder} (pid ${existing.pid}, run ${existing.runId}) until ${existing.expiresAt}`,
        { hint: 'wait for that run to finish; shipcheck status shows its progress' },
      );
    }
    if (!options.takeOver) {
      throw new LockHeldError(
        `${options.name} has a stale lease of ${existing?.holder ?? 'an unknown holder'} (${staleness}); nobody else is running it`,
        { hint: 'check that the other run is really gone, then pass --take-over' },
      );
    }
    record = fresh();
    await rename(await writeTemp(dir, record), path);
    tookOver = {
      previous: existing ?? { holder: 'unknown', host: 'unknown', pid: 0, runId: 'unknown', acquiredAt: '', expiresAt: '' },
      reason: staleness!,
    };
  } finally {
    await unlink(temp).catch(() => {});
  }

  let lost = false;
  const ours = (r: LeaseRecord | undefined) => r?.runId === record.runId && r.pid === record.pid && r.host === record.host;
  const heartbeat = setInterval(() => {
    void (async () => {
      if (!ours(await readLease(path))) {
        lost = true;
        return;
      }
      record = { ...record, expiresAt: new Date(Date.now() + ttlMs).toISOString() };
      await rename(await writeTemp(dir, record), path);
    })().catch(() => {});
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    get record() {
      return record;
    },
    ...(tookOver && { tookOver }),
    lost: () => lost,
    async release() {
      clearInterval(heartbeat);
      if (ours(await readLease(path))) await unlink(path).catch(() => {});
    },
  };
}

/** Why a lease no longer protects anything, or undefined while it does. */
export function staleReason(lease: LeaseRecord, now = Date.now()): string | undefined {
  if (Date.parse(lease.expiresAt) < now) return `it expired at ${lease.expiresAt}`;
  if (lease.host === hostname() && !processAlive(lease.pid)) return `pid ${lease.pid} on ${lease.host} is not running`;
  return undefined;
}

export async function readLease(path: string): Promise<LeaseRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LeaseRecord;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function writeTemp(dir: string, record: LeaseRecord): Promise<string> {
  const temp = join(dir, `.lease-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(record)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  return temp;
}
