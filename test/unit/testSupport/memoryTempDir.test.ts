import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryTempDir } from '../../support/memoryTempDir.js';

// Where the suite's scratch files go: a directory with room, otherwise the default (undefined).
describe('memoryTempDir', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipcheck-memtmp-'));
    await writeFile(join(dir, 'file'), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes a writable directory with the room asked for', () => {
    expect(memoryTempDir(dir, 1)).toBe(dir);
  });

  it('keeps the default for a missing path, a file, or too little room', () => {
    expect(memoryTempDir(join(dir, 'missing'))).toBeUndefined();
    expect(memoryTempDir(join(dir, 'file'), 1)).toBeUndefined();
    expect(memoryTempDir(dir, Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });
});
