/**
 * Throughput and latency of atomic_update_user_behavior through the project's Node data
 * layer (node-postgres and the rpc writer, as shipped and with named statements) and
 * through postgres.js, as ratios against pgbench calling the same function with the same
 * client count, hot row and spread, in the same run. Each path warms up first; the paths
 * run in rotating order for --rounds rounds and the medians are reported.
 *
 *   npx tsx bench/atomicFunction.ts [--seconds 3] [--rounds 3] [--clients 8] [--warmup 1]
 *     [--scenarios hot,spread] [--paths pgbench,node-postgres,node-postgres-named,postgres.js,pgbench-extended]
 *     [--synchronous-commit off] [--json]
 *
 * Honours DATABASE_URL (a superuser URL: the bench creates and drops its own database).
 */
import { parseArgs } from 'node:util';
import {
  type AtomicPath,
  nodePostgresPath,
  type PathRun,
  pgbenchPath,
  postgresJsPath,
  type Scenario,
} from './support/atomicPaths.js';
import { openBenchDatabase } from './support/benchDatabase.js';
import { describeLoad, machineLoad } from './support/machine.js';
import { inRotatingRounds, median } from './support/rounds.js';
import { fixed, markdownTable } from './support/table.js';

const pathsByKey: Readonly<Record<string, () => AtomicPath>> = {
  pgbench: () => pgbenchPath('prepared'),
  'pgbench-extended': () => pgbenchPath('extended'),
  'node-postgres': () => nodePostgresPath({ preparedStatements: false }),
  'node-postgres-named': () => nodePostgresPath({ preparedStatements: true }),
  'postgres.js': () => postgresJsPath(),
};

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '8' },
    scenarios: { type: 'string', default: 'hot,spread' },
    paths: { type: 'string', default: 'pgbench,node-postgres,node-postgres-named,postgres.js' },
    'synchronous-commit': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = positiveInteger('seconds', values.seconds);
const warmupSeconds = positiveInteger('warmup', values.warmup);
const rounds = positiveInteger('rounds', values.rounds);
const clients = positiveInteger('clients', values.clients);
const scenarios = values.scenarios.split(',').map((s) => {
  if (s !== 'hot' && s !== 'spread') throw new Error(`--scenarios takes hot and/or spread, got "${s}"`);
  return s as Scenario;
});
const pathKeys = values.paths.split(',');
if (pathKeys[0] !== 'pgbench' || pathKeys.some((key) => !(key in pathsByKey))) {
  throw new Error(
    `--paths must start with pgbench (the reference) and name only ${Object.keys(pathsByKey).join(', ')}`,
  );
}
const sessionOptions =
  values['synchronous-commit'] === undefined ? undefined : { synchronous_commit: values['synchronous-commit'] };

interface PathFigures {
  readonly scenario: Scenario;
  readonly path: string;
  readonly runs: readonly PathRun[];
  readonly callsPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly serverMeanExecMs: number;
  readonly clientCpuMicrosPerCall: number;
  readonly serverCpuMicrosPerCall: number;
  /** Median over rounds of (this path's rate / pgbench's rate in the same round). */
  readonly ratioToPgbench: number;
}

async function main(): Promise<void> {
  const loadBefore = machineLoad();
  const bench = await openBenchDatabase();
  const figures: PathFigures[] = [];
  try {
    for (const scenario of scenarios) {
      const paths = pathKeys.map((key) => pathsByKey[key]!());
      const reference = paths[0]!;
      const runs = await inRotatingRounds(paths, rounds, (path) =>
        path.run({ bench, scenario, clients, seconds, warmupSeconds, ...(sessionOptions && { sessionOptions }) }),
      );
      const referenceRuns = runs.get(reference)!;
      for (const path of paths) {
        const pathRuns = runs.get(path)!;
        const failed = pathRuns.reduce((total, run) => total + run.errors, 0);
        if (failed > 0) throw new Error(`${path.name} (${scenario}): ${failed} calls failed`);
        figures.push({
          scenario,
          path: path.name,
          runs: pathRuns,
          callsPerSecond: median(pathRuns.map((r) => r.callsPerSecond)),
          p50Ms: median(pathRuns.map((r) => r.latencyMs.p50)),
          p95Ms: median(pathRuns.map((r) => r.latencyMs.p95)),
          p99Ms: median(pathRuns.map((r) => r.latencyMs.p99)),
          serverMeanExecMs: median(pathRuns.map((r) => r.server.meanExecMs)),
          clientCpuMicrosPerCall: median(pathRuns.map((r) => r.clientCpuMicrosPerCall)),
          serverCpuMicrosPerCall: median(pathRuns.map((r) => r.server.cpuMicrosPerCall)),
          ratioToPgbench: median(pathRuns.map((r, i) => r.callsPerSecond / referenceRuns[i]!.callsPerSecond)),
        });
      }
    }
  } finally {
    await bench.close();
  }
  const loadAfter = machineLoad();

  const settings = {
    server: bench.serverVersion,
    durability: bench.durability,
    clients,
    seconds,
    warmupSeconds,
    rounds,
    sessionOptions: sessionOptions ?? {},
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...settings, loadBefore, loadAfter, figures }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `atomic_update_user_behavior, PostgreSQL ${bench.serverVersion} (${bench.durability}), ${clients} clients, ${seconds} s per path after ${warmupSeconds} s warm-up, ` +
      `median of ${rounds} rounds in rotating order${sessionOptions ? `, synchronous_commit=${sessionOptions.synchronous_commit}` : ''}\n` +
      `machine before: ${describeLoad(loadBefore)}\nmachine after:  ${describeLoad(loadAfter)}\n\n`,
  );
  const rows = figures.map((f) => [
    f.scenario,
    f.path,
    fixed(f.callsPerSecond, 0),
    f.runs.map((r) => fixed(r.callsPerSecond, 0)).join(' / '),
    fixed(f.p50Ms, 2),
    fixed(f.p95Ms, 2),
    fixed(f.p99Ms, 2),
    fixed(f.serverMeanExecMs, 3),
    fixed(f.clientCpuMicrosPerCall, 0),
    fixed(f.serverCpuMicrosPerCall, 0),
    fixed(f.ratioToPgbench, 2),
  ]);
  const header = [
    'scenario',
    'path',
    'calls/s',
    'each round',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'server mean exec ms',
    'client CPU µs/call',
    'server CPU µs/call',
    'vs pgbench',
  ];
  process.stdout.write(
    `${markdownTable(header, rows, [false, false, true, true, true, true, true, true, true, true, true])}\n`,
  );
}

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a whole number of at least 1, got "${raw}"`);
  return value;
}

await main();
