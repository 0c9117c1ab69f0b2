import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLogLock } from '../../../src/engine/logLock.js';

describe('the run log lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipcheck-loglock-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('is broken when its holder is dead (killed mid-append)', async () => {
    const log = join(dir, 'events.jsonl');
    await writeFile(`${log}.lock`, '999999999 deadbeef\n');
    expect(await withLogLock(log, async () => 'appended')).toBe('appended');
    expect(await readdir(dir)).toEqual([]);
  });

  it('an empty lock (an older writer killed between creating and writing it) is broken once it is stale', async () => {
    const log = join(dir, 'events.jsonl');
    await writeFile(`${log}.lock`, '');
    const tenSecondsAgo = new Date(Date.now() - 10_000);
    await utimes(`${log}.lock`, tenSecondsAgo, tenSecondsAgo);
    expect(await withLogLock(log, async () => 'appended')).toBe('appended');
  });

  it('is never seen empty: the holder pid is in the file from the moment it exists', async () => {
    const log = join(dir, 'events.jsonl');
    await withLogLock(log, async () => {
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(`${log}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} [0-9a-f]{16}\\n$`));
      // Only the lock itself: the file it was linked from is gone.
      expect((await readdir(dir)).sort()).toEqual(['events.jsonl.lock']);
    });
  });
});
