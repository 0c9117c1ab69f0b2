/**
 * Lost updates and latency of the two behaviour writers under the seed's concurrency
 * test, scaled up: --actions simultaneous violations on one offender through a bounded
 * pool (runConcurrentActions, the code behind `shipcheck shield concurrent`). The rpc
 * writer (migration 024) must lose none; the legacy read-modify-write shows the race.
 *
 *   npx tsx bench/lostUpdates.ts [--actions 10000] [--connections 20] [--rounds 1] [--json]
 *
 * Honours DATABASE_URL (a superuser URL: the bench creates and drops its own database).
 */
import { parseArgs } from 'node:util';
import { type ConcurrentActionsResult, runConcurrentActions } from '../src/shield/operator/concurrent.js';
import type { WriterName } from '../src/shield/writers/index.js';
import { openBenchDatabase } from './support/benchDatabase.js';
import { describeLoad, machineLoad } from './support/machine.js';
import { inRotatingRounds, median } from './support/rounds.js';
import { fixed, markdownTable } from './support/table.js';

const { values } = parseArgs({
  options: {
    actions: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const actions = Number(values.actions);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a whole number of at least 1, got "${values.rounds}"`);

async function main(): Promise<void> {
  const loadBefore = machineLoad();
  const bench = await openBenchDatabase();
  const writers = (['rpc', 'legacy'] as const).map((name) => ({ name }));
  let runs: Map<{ name: WriterName }, ConcurrentActionsResult[]>;
  try {
    // Bad --actions / --connections come back as runConcurrentActions' own UsageError.
    runs = await inRotatingRounds(writers, rounds, (writer) =>
      runConcurrentActions(bench.url, {
        platform: 'twitter',
        platformUserId: `bench_lost_updates_${writer.name}`,
        actions,
        connections,
        writer: writer.name,
        reset: true,
        cleanup: true,
      }),
    );
  } finally {
    await bench.close();
  }
  const loadAfter = machineLoad();

  const figures = writers.map((writer) => {
    const results = runs.get(writer)!;
    return {
      writer: writer.name,
      runs: results,
      lost: median(results.map((r) => r.lost)),
      failed: median(results.map((r) => r.failed)),
      p50Ms: median(results.map((r) => r.latencyMs.p50)),
      p95Ms: median(results.map((r) => r.latencyMs.p95)),
      p99Ms: median(results.map((r) => r.latencyMs.p99)),
      actionsPerSecond: median(results.map((r) => (r.succeeded / r.wallMs) * 1000)),
      roundTripsPerAction: median(results.map((r) => r.roundTripsPerAction)),
    };
  });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ server: bench.serverVersion, actions, connections, rounds, loadBefore, loadAfter, figures }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `${actions} simultaneous violations on one offender, ${connections} connections, PostgreSQL ${bench.serverVersion}, ` +
      `${rounds === 1 ? 'one round' : `median of ${rounds} rounds`}\n` +
      `machine before: ${describeLoad(loadBefore)}\nmachine after:  ${describeLoad(loadAfter)}\n` +
      'latency: time each call held its connection (waiting for a free connection excluded)\n\n',
  );
  const header = [
    'writer',
    `lost of ${actions}`,
    'lost %',
    'failed',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'actions/s',
    'round trips/action',
  ];
  const rows = figures.map((f) => [
    f.writer,
    fixed(f.lost, 0),
    fixed((f.lost / actions) * 100, 1),
    fixed(f.failed, 0),
    fixed(f.p50Ms, 2),
    fixed(f.p95Ms, 2),
    fixed(f.p99Ms, 2),
    fixed(f.actionsPerSecond, 0),
    fixed(f.roundTripsPerAction, 2),
  ]);
  process.stdout.write(`${markdownTable(header, rows, [false, true, true, true, true, true, true, true, true])}\n`);
}

await main();
