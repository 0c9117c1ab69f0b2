import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';

/**
 * `it` with a `tempDir` of the test's own (removed after it), so tests that need one can
 * run concurrently (`describe.concurrent`) instead of sharing a module variable.
 *
 * @example
 * it('writes its state there', async ({ tempDir }) => { ... });
 */
export const it = test.extend<{ tempDir: string }>({
  // vitest reads the fixtures a fixture needs from its first parameter's pattern: none here.
  tempDir: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'shipcheck-test-'));
    try {
      await use(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
