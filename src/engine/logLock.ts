import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
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

async function tryCreate(lockPath: string, token: string): Promise<boolean> {
  try {
    const file = await open(lockPath, 'wx', 0o600);
    try {
      await file.write(token);
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function breakIfAbandoned(lockPath: string): Promise<void> {
  const content = await readFile(lockPath, 'utf8').catch(() => undefined);
  // Empty: its creator is between open and write; only a dead pid is abandoned.
  if (content === undefined || !isAbandoned(content)) return;
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
