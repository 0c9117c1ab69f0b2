import { createHash, randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Atomic operations on small files shared by processes (the lease): a new file is
 * created with link(2), which fails when the name exists, and an existing one is
 * changed only through `swapFile`, a compare-and-swap. Every change is fsynced,
 * file and directory, as the run log is.
 */

/** Claims sit on top of each other only when a claimant died mid-swap; more than this is not a crash, it is a bug. */
const maxClaimLevels = 8;
/** Each failed attempt means another claimant finished its swap: this many in a row is not contention, it is a bug. */
const maxClaimAttempts = 100;

export type SwapOutcome =
  | { readonly swapped: true }
  /** The file no longer holds the expected content (someone swapped first, or removed it). */
  | { readonly swapped: false; readonly reason: 'changed' }
  /** Another process is swapping the same content right now; `claimant` is the content of its claim. */
  | { readonly swapped: false; readonly reason: 'claimed'; readonly claimant: string };

export interface SwapRequest {
  readonly path: string;
  /** The exact content the caller judged: the swap happens only if the file still holds it. */
  readonly expected: string;
  /** A private temp file in the same directory (`writePrivateTemp`): the claim's content, and the new content unless `remove`. */
  readonly temp: string;
  /** Remove the file instead of replacing it with `temp`. */
  readonly remove?: boolean;
  /** Whether a claim left by someone else is abandoned (its writer died between claiming and swapping). */
  readonly claimAbandoned: (content: string, ageMs: number) => boolean;
}

/**
 * Compare-and-swap of a whole file. A plain read-then-rename lets two processes
 * that judged the same content both replace it, the last writer winning while
 * both believe they won. Here only the process that creates the claim file
 * `.<name>.<sha256 of expected>.claim-0` (link(2): exactly one succeeds) may
 * swap, and only after checking the file still holds `expected`; everyone else
 * is told who claimed it. A claim abandoned by a crashed process is stepped over
 * (`claim-1`, …) rather than deleted, so no live claim is ever removed by another.
 *
 * @example
 * const outcome = await swapFile({ path, expected: staleText, temp, claimAbandoned: () => false });
 * if (!outcome.swapped) … // someone else was first
 */
export async function swapFile(request: SwapRequest): Promise<SwapOutcome> {
  const { path, expected, temp } = request;
  const dir = dirname(path);
  const claimBase = join(
    dir,
    `.${basename(path)}.${createHash('sha256').update(expected).digest('hex').slice(0, 16)}.claim`,
  );
  let level = 0;
  for (let attempt = 0; ; attempt++) {
    if (level === maxClaimLevels || attempt === maxClaimAttempts) {
      throw new Error(`could not claim ${path}: ${level} abandoned claims; remove ${claimBase}-* by hand`);
    }
    try {
      await link(temp, `${claimBase}-${level}`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const other = await readWithAge(`${claimBase}-${level}`);
      // Its owner finished a moment ago: contend for the same level again, so that two claimants never hold different levels.
      if (other === undefined) continue;
      if (!request.claimAbandoned(other.content, other.ageMs))
        return { swapped: false, reason: 'claimed', claimant: other.content };
      level++;
    }
  }
  const claim = `${claimBase}-${level}`;
  try {
    if ((await readText(path)) !== expected) return { swapped: false, reason: 'changed' };
    if (request.remove) await unlink(path);
    else await rename(temp, path);
    await fsyncDirectory(dir);
    // The content these claims guarded is gone: abandoned claims below ours are moot now.
    for (let below = 0; below < level; below++) await removeIfPresent(`${claimBase}-${below}`);
    return { swapped: true };
  } finally {
    await removeIfPresent(claim);
  }
}

/** Creates `path` from `temp` only if nothing is there (link(2) fails with EEXIST). */
export async function createExclusive(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await fsyncDirectory(dirname(path));
  return true;
}

/** A new file (0600) in `dir` holding `content`, fsynced: the unit every change is made of. */
export async function writePrivateTemp(dir: string, content: string): Promise<string> {
  const temp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  return temp;
}

/** The file's text, or undefined when it does not exist. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

async function readWithAge(path: string): Promise<{ content: string; ageMs: number } | undefined> {
  try {
    const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { content, ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A link, rename or unlink survives a crash only once its directory is fsynced. */
async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
