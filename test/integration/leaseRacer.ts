/**
 * A child process that races for stale leases (engineRobustness.test.ts): prints
 * "ready" once loaded, reads the start time from stdin, then at start + round ×
 * interval tries to take over the lease `<prefix>-<round>` and prints what happened.
 * It stays alive until stdin closes: a winner that exited would leave a dead pid's
 * lease, which a slower racer may rightly take over.
 *
 *   node --import tsx test/integration/leaseRacer.ts STATE_DIR PREFIX ROUNDS INTERVAL_MS   (the test runs it bundled: test/support/bundle.ts)
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLease } from '../../src/engine/lease.js';

const [stateDir, prefix, rounds, intervalMs] = process.argv.slice(2) as [string, string, string, string];
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write('ready\n');
const startAt = Number((await lines.next()).value);

for (let round = 0; round < Number(rounds); round++) {
  await sleep(Math.max(0, startAt + round * Number(intervalMs) - Date.now()));
  try {
    await acquireLease({
      stateDir,
      name: `${prefix}-${round}`,
      runId: `racer-${process.pid}`,
      takeOver: true,
      heartbeatMs: 600_000,
    });
    process.stdout.write(`${JSON.stringify({ round, won: true })}\n`);
  } catch (error) {
    process.stdout.write(
      `${JSON.stringify({ round, won: false, message: (error as Error).message, code: (error as { code?: string }).code })}\n`,
    );
  }
}
process.stdout.write('done\n');
while (!(await lines.next()).done);
