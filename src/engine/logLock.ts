import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockHeldError } from '../errors.js';

/** Appends are a few milliseconds (one fsync): a writer waiting this long is facing a hung process, not contention. */
const maxWaitMs = 30_000;

/**
 * Runs `work` holding `<log>.lock`, so that reading the log's last hash and
 * appending the next line is one step for every process appending to the log
 * (the runner and `shipcheck approve`). The lock file holds the holder's pid; a
 * lock whose process is gone (killed mid-append) is broken by renaming it away
 * and checking that the renamed file is the one judged dead, so a live lock
 * taken meanwhile is put back rather than broken.
 *
 * @example
 * await withLogLock(join(runDir, 'events.jsonl'), () => appendUnderLock());
 */
export async function withLogLock<T>(logPath: string, work: () => Promise<T>): Promise<T> {
  const lockPath = `${logPath}.lock`;
  const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + maxWaitMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    if (await tryCreate(lockPath, token)) break;
    await breakIfAbandoned(lockPath);
    if (Date.now() > deadline) {
      throw new LockHeldError(`the run log ${logPath} stayed locked for ${maxWaitMs / 1000} s`, {
        hint: `another shipcheck process is appending to it; if none is running, remove ${lockPath}`,
      });
    }
    await sleep(wait);
  }
  try {
    return await work();
  } finally {
    await unlinkOwn(lockPath, token);
  }
}

/**
 * The lock file appears with its holder's pid already in it (written to a file of our own,
 * then hard-linked into place, which fails if the lock exists): a writer killed at any
 * instant never leaves an empty lock that no one could judge.
 */
async function tryCreate(lockPath: string, token: string): Promise<boolean> {
  const own = `${lockPath}.${randomBytes(6).toString('hex')}`;
  const file = await open(own, 'wx', 0o600);
  try {
    await file.write(token);
  } finally {
    await file.close();
  }
  try {
    await link(own, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(own).catch(() => undefined);
  }
}

async function breakIfAbandoned(lockPath: string): Promise<void> {
  const content = await readFile(lockPath, 'utf8').catch(() => undefined);
  // Only a dead pid is abandoned (an empty lock, from a shipcheck that wrote the file before
  // its pid, counts as abandoned once it is older than any append).
  if (content === undefined || !(isAbandoned(content) || (content === '' && (await olderThan(lockPath, 5_000)))))
    return;
  const aside = `${lockPath}.abandoned-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== content) {
    // A live process took the lock between our read and rename: give it back.
    await rename(aside, lockPath).catch(() => undefined);
    return;
  }
  await unlink(aside).catch(() => undefined);
}

function isAbandoned(content: string): boolean {
  const pid = Number.parseInt(content, 10);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function unlinkOwn(lockPath: string, token: string): Promise<void> {
  const content = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (content === token) await unlink(lockPath);
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs > ms;
}
