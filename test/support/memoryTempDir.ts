import { accessSync, constants, statSync, statfsSync } from 'node:fs';

/** Room for the suite's scratch files: ~0.4 GB at their peak (docs/performance.md §6). */
const suiteNeeds = 1024 ** 3;

/**
 * A memory-backed directory for the suite's scratch files, or undefined to keep the default.
 * Everything the suite writes is thrown away: its server's data (every test database is a copy
 * of a template, ~300 per run), workspaces, run logs. On this machine's disk a file created
 * costs the server up to 1 ms of system CPU (a template copy creates ~340), and the cost grows
 * as the run deletes; in memory it is a few µs. fsync and rename behave the same for the code
 * under test, which is all the tests can see of the disk.
 */
export function memoryTempDir(candidate = '/dev/shm', neededBytes = suiteNeeds): string | undefined {
  try {
    if (!statSync(candidate).isDirectory()) return undefined;
    accessSync(candidate, constants.W_OK);
    const { bavail, bsize } = statfsSync(candidate);
    return bavail * bsize >= neededBytes ? candidate : undefined;
  } catch {
    return undefined;
  }
}
