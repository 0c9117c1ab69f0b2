import { hostname, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockHeldError } from '../errors.js';
import { createExclusive, readText, removeIfPresent, swapFile, writePrivateTemp } from './leaseFile.js';
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
  /** True once a heartbeat or `check` found the lease file no longer ours (someone took it over). */
  lost(): boolean;
  /** Reads the lease file now: still the one this run wrote, or who holds it instead. */
  check(): Promise<LeaseCheck>;
  /** Removes the lease if it is still ours; never someone else's. */
  release(): Promise<void>;
}

/** `holder` is who holds the lease now; none when the file is gone or unreadable. */
export type LeaseCheck = { readonly held: true } | { readonly held: false; readonly holder?: LeaseRecord };

/** How often, and how long apart, a takeover that found another in progress looks again. */
const maxClaimPasses = 10;
const claimRetryMs = 25;

/** A claim spans one read and one rename; one this old was left by a process that died mid-swap. */
const claimAbandonedAfterMs = 30_000;

export function currentHolder(): string {
  return `${userInfo().username}@${hostname()}`;
}

/**
 * One run per checklist and environment: `.shipcheck/leases/<name>.json`, created
 * atomically (link(2) fails when it exists), refreshed by a heartbeat, removed on
 * release. A stale lease (expired, or on this host with a dead pid) can be taken
 * over with `takeOver`; the file is only ever changed by compare-and-swap
 * (`swapFile`), so of several operators taking over the same stale lease at the
 * same moment exactly one wins and the others are refused with the winner named.
 * A lease is ours while the file holds exactly the text we wrote.
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
  const now = Date.now();
  const record: LeaseRecord = {
    holder: currentHolder(),
    host: hostname(),
    pid: process.pid,
    runId: options.runId,
    acquiredAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString(),
  };
  const text = serialize(record);
  const temp = await writePrivateTemp(dir, text);
  try {
    const tookOver = await claim(path, temp, options);
    return holdLease(path, record, text, ttlMs, options.heartbeatMs ?? 15_000, tookOver);
  } finally {
    await removeIfPresent(temp);
  }
}

/** Puts `temp` in place as the lease; the previous holder when a stale lease was taken over. */
async function claim(path: string, temp: string, options: LeaseOptions): Promise<HeldLease['tookOver']> {
  // Each pass either wins, or learns that something changed (released, or taken by someone else) and judges again.
  for (let pass = 0; pass < maxClaimPasses; pass++) {
    if (await createExclusive(temp, path)) return undefined;
    const existingText = await readText(path);
    if (existingText === undefined) continue;
    const existing = parseLease(existingText);
    const staleness = existing ? staleReason(existing) : 'the lease file is unreadable';
    if (existing && !staleness) throw heldBy(options.name, existing);
    if (!options.takeOver) {
      throw new LockHeldError(
        `${options.name} has a stale lease of ${existing?.holder ?? 'an unknown holder'} (${staleness}); nobody else is running it`,
        { hint: 'check that the other run is really gone, then pass --take-over' },
      );
    }
    const outcome = await swapFile({ path, expected: existingText, temp, claimAbandoned });
    if (outcome.swapped) return { previous: existing ?? unknownHolder, reason: staleness! };
    if (outcome.reason === 'claimed') {
      // Someone is between claim and swap, which takes milliseconds: judge again once they are done, to name the real winner.
      if (pass < maxClaimPasses - 1) {
        await sleep(claimRetryMs);
        continue;
      }
      const claimant = parseLease(outcome.claimant);
      throw new LockHeldError(
        `${options.name}'s stale lease is being taken over right now by ${describeHolder(claimant)}; this run did not start`,
        { hint: 'only one operator can take it over; shipcheck status shows the run' },
      );
    }
  }
  throw new LockHeldError(
    `${options.name}: the lease kept changing while this run tried to take it; nothing was started`,
    {
      hint: 'another operator is starting runs at the same moment; shipcheck status shows who',
    },
  );
}

function holdLease(
  path: string,
  initial: LeaseRecord,
  initialText: string,
  ttlMs: number,
  heartbeatMs: number,
  tookOver: HeldLease['tookOver'],
): HeldLease {
  const dir = dirname(path);
  let record = initial;
  let text = initialText;
  // While a refresh is being swapped in, the file may already hold the refreshed text.
  let refreshing: { text: string; done: Promise<void> } | undefined;
  let lost = false;
  const ours = (onDisk: string | undefined) =>
    onDisk === text || (refreshing !== undefined && onDisk === refreshing.text);

  const refresh = async (next: LeaseRecord, nextText: string) => {
    const temp = await writePrivateTemp(dir, nextText);
    try {
      const outcome = await swapFile({ path, expected: text, temp, claimAbandoned });
      if (outcome.swapped) {
        record = next;
        text = nextText;
      } else if ((await readText(path)) !== text) {
        lost = true;
      }
    } finally {
      await removeIfPresent(temp);
    }
  };
  const heartbeat = setInterval(() => {
    if (refreshing || lost) return;
    const next = { ...record, expiresAt: new Date(Date.now() + ttlMs).toISOString() };
    const nextText = serialize(next);
    // A failed refresh is retried at the next beat; if they keep failing the lease expires and others may take over.
    const done = refresh(next, nextText)
      .catch(() => {})
      .finally(() => (refreshing = undefined));
    refreshing = { text: nextText, done };
  }, heartbeatMs);
  heartbeat.unref();

  return {
    get record() {
      return record;
    },
    ...(tookOver && { tookOver }),
    lost: () => lost,
    async check() {
      const onDisk = await readText(path);
      if (!lost && ours(onDisk)) return { held: true };
      lost = true;
      const holder = onDisk === undefined ? undefined : parseLease(onDisk);
      return { held: false, ...(holder && { holder }) };
    },
    async release() {
      clearInterval(heartbeat);
      await refreshing?.done;
      if (lost) return;
      // A lease left behind goes stale and is named to the next operator, so a failed release must not hide the run's own outcome.
      const temp = await writePrivateTemp(dir, text).catch(() => undefined);
      if (!temp) return;
      try {
        await swapFile({ path, expected: text, temp, remove: true, claimAbandoned });
      } catch {
        // see above: the lease stays and goes stale
      } finally {
        await removeIfPresent(temp).catch(() => {});
      }
    },
  };
}

/** Why a lease no longer protects anything, or undefined while it does. */
export function staleReason(lease: LeaseRecord, now = Date.now()): string | undefined {
  if (Date.parse(lease.expiresAt) < now) return `it expired at ${lease.expiresAt}`;
  if (lease.host === hostname() && !processAlive(lease.pid)) return `pid ${lease.pid} on ${lease.host} is not running`;
  return undefined;
}

function parseLease(text: string): LeaseRecord | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LeaseRecord> | null;
    return typeof parsed?.holder === 'string' && typeof parsed.pid === 'number' ? (parsed as LeaseRecord) : undefined;
  } catch {
    return undefined;
  }
}

function serialize(record: LeaseRecord): string {
  return `${JSON.stringify(record)}\n`;
}

function heldBy(name: string, lease: LeaseRecord): LockHeldError {
  return new LockHeldError(`${name} is being run by ${describeHolder(lease)} until ${lease.expiresAt}`, {
    hint: 'wait for that run to finish; shipcheck status shows its progress',
  });
}

/** `bob@host (pid 42, run …)`: how errors name a lease's holder. */
export function describeHolder(lease: LeaseRecord | undefined): string {
  return lease ? `${lease.holder} (pid ${lease.pid}, run ${lease.runId})` : 'another process';
}

/** A claimant that died between claiming and swapping: gone from this host, or silent for far longer than a swap takes. */
function claimAbandoned(content: string, ageMs: number): boolean {
  const claimant = parseLease(content);
  if (claimant && claimant.host === hostname() && !processAlive(claimant.pid)) return true;
  return ageMs > claimAbandonedAfterMs;
}

const unknownHolder: LeaseRecord = {
  holder: 'unknown',
  host: 'unknown',
  pid: 0,
  runId: 'unknown',
  acquiredAt: '',
  expiresAt: '',
};

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
