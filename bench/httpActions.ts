/**
 * A full Shield action (hide_comment, add_strike_1, check_reincidence) end to end through
 * the HTTP API — fastify, bearer auth, body parsing, the service, the writer, the
 * action rows and jobs — at several concurrencies, against the raw atomic function
 * called through the same data layer at the same concurrency and pool size in the same
 * run. Two writers side by side: `rpc` (migration 024: 2 round trips, 2 commits) and
 * `action` (migration 026: the whole action in one call, 1 round trip, 1 commit). The
 * ratio is the API's whole overhead, extra round trips included; the service rows (no
 * HTTP) split it into database work and HTTP. Two CPU columns say where the time goes:
 * this process's CPU per action (client; for the API rows the server, plus autocannon if it drives them)
 * and the PostgreSQL server's CPU per action, all its processes (read from /proc, so only
 * for a server on this machine that the bench has to itself). On a saturated machine the
 * ratio follows the sum of the two.
 *
 *   npx tsx bench/httpActions.ts [--seconds 5] [--warmup 1] [--concurrency 1,4,16,32]
 *     [--pool-size 10] [--users 10000] [--rounds 1] [--load-generator wrk|autocannon] [--json]
 *
 * The server runs in this process on 127.0.0.1 with a random token (never printed). The HTTP
 * load comes from wrk (Debian's `wrk`, a process of its own, as a real client would be) when
 * it is installed, else from autocannon in this process, whose CPU then counts on the API's
 * side of the ratio; the header says which.
 * Honours DATABASE_URL (a superuser URL: the bench creates and drops its own database).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Database, type Queryable } from '../src/db/database.js';
import { executeActionsFromTags } from '../src/shield/executeActions.js';
import { startShieldServer } from '../src/shield/http/server.js';
import { type WriterName, writerFor } from '../src/shield/writers/index.js';
import { rpcWriter } from '../src/shield/writers/rpc.js';

import { autocannonLoop } from './support/autocannonLoop.js';
import { wrkActionLoop, wrkAvailable } from './support/wrkLoop.js';
import { openBenchDatabase } from './support/benchDatabase.js';
import { closedLoop } from './support/closedLoop.js';
import { describeLoad, machineLoad } from './support/machine.js';
import { serverCpuTotalSeconds } from './support/serverCpu.js';
import { sampleValue } from './support/prometheusText.js';
import { inRotatingRounds, median } from './support/rounds.js';
import { fixed, markdownTable } from './support/table.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1,4,16,32' },
    'pool-size': { type: 'string', default: '10' },
    users: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '1' },
    'load-generator': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = positiveInteger('seconds', values.seconds);
const warmupSeconds = positiveInteger('warmup', values.warmup);
const concurrencies = values.concurrency.split(',').map((c) => positiveInteger('concurrency', c));
const poolSize = positiveInteger('pool-size', values['pool-size']);
const users = positiveInteger('users', values.users);
const rounds = positiveInteger('rounds', values.rounds);
const tags = ['hide_comment', 'add_strike_1', 'check_reincidence'] as const;
const generator = await loadGenerator(values['load-generator']);

interface Run {
  readonly perSecond: number;
  readonly succeeded: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly roundTripsPerAction: number;
  /** This process's CPU (the client, and for the API paths also the server and autocannon) per action. */
  readonly nodeCpuMicros: number;
  /** The PostgreSQL server's CPU per action (backends, WAL writer, …); NaN when /proc cannot tell (a remote server). */
  readonly dbCpuMicros: number;
}

/** CPU used while `work` runs: this process's, and the whole PostgreSQL server's (its only user is this bench). */
async function cpuDuring<T>(
  admin: Queryable,
  work: () => Promise<T>,
): Promise<{ value: T; nodeSeconds: number; dbSeconds: number }> {
  const dbBefore = await serverCpuTotalSeconds(admin);
  const nodeBefore = process.cpuUsage();
  const value = await work();
  const node = process.cpuUsage(nodeBefore);
  const dbAfter = await serverCpuTotalSeconds(admin);
  return {
    value,
    nodeSeconds: (node.user + node.system) / 1e6,
    dbSeconds: dbBefore === undefined || dbAfter === undefined ? Number.NaN : dbAfter - dbBefore,
  };
}

async function main(): Promise<void> {
  const loadBefore = machineLoad();
  const bench = await openBenchDatabase();
  const token = randomBytes(32).toString('hex');
  const runId = randomBytes(4).toString('hex');
  // One server per writer, each with its own pool of the same size, so neither borrows the other's capacity.
  // Named prepared statements everywhere, as `shipcheck shield serve` runs by default (no pooler in between).
  const startServer = (writer: WriterName) =>
    startShieldServer({
      db: Database.connect(bench.url, {
        max: poolSize,
        applicationName: `shipcheck bench api ${writer}`,
        preparedStatements: true,
      }),
      auth: { kind: 'bearer', token },
      writer,
      host: '127.0.0.1',
      port: 0,
    });
  const servers = { rpc: await startServer('rpc'), action: await startServer('action') };
  // The raw reference gets a pool of the same size: the same database capacity as the API.
  const raw = Database.connect(bench.url, {
    max: poolSize,
    applicationName: 'shipcheck bench raw',
    preparedStatements: true,
  });
  let sequence = 0;
  const offender = (n: number) => `bench-${runId}-u${n % users}`;

  const apiPath = (writer: 'rpc' | 'action') => ({
    name: `HTTP API, full action, ${writer} writer`,
    async run(connections: number): Promise<Run> {
      const server = servers[writer];
      const body = (n: number) => actionBody(bench.organizationId, offender(n), `bench-${runId}-c${sequence++}`);
      const load = (loopSeconds: number) =>
        generator === 'wrk'
          ? wrkActionLoop({
              url: server.url,
              token,
              organizationId: bench.organizationId,
              // Every loop its own comments: a repeated comment would be answered as a replay.
              commentPrefix: `bench-${runId}-loop${sequence++}`,
              userPrefix: `bench-${runId}`,
              users,
              connections,
              seconds: loopSeconds,
            })
          : autocannonLoop({
              url: server.url,
              path: '/v1/shield/actions',
              token,
              connections,
              seconds: loopSeconds,
              body,
            });
      await load(warmupSeconds);
      const before = await roundTripCounters(server.url, token, writer);
      const rowsBefore = await auditRows(bench.admin);
      const { value: result, ...cpu } = await cpuDuring(bench.admin, () => load(seconds));
      // A replay answers 200 and writes nothing: a loop that repeated comments would look fast.
      const recorded = ((await auditRows(bench.admin)) - rowsBefore) / tags.length;
      if (recorded < result.succeeded * 0.99)
        throw new Error(`${result.succeeded} actions answered but only ${recorded} recorded: replays in the loop?`);
      const after = await roundTripCounters(server.url, token, writer);
      const actions = after.count - before.count;
      const done = result.succeeded + result.errors;
      return {
        nodeCpuMicros: (cpu.nodeSeconds * 1e6) / done,
        dbCpuMicros: (cpu.dbSeconds * 1e6) / done,
        perSecond: result.requestsPerSecond,
        succeeded: result.succeeded,
        errors: result.errors,
        p50Ms: result.latencyMs.p50,
        p95Ms: result.latencyMs.p95,
        p99Ms: result.latencyMs.p99,
        // From the server's own histogram: every action it finished, including the few still in flight at the end.
        roundTripsPerAction: actions === 0 ? Number.NaN : (after.sum - before.sum) / actions,
      };
    },
  });
  const rawPath = {
    name: 'atomic function only (reference)',
    async run(clients: number): Promise<Run> {
      const call = () => {
        const n = sequence++;
        return rpcWriter.recordViolation(
          raw,
          { organizationId: bench.organizationId, platform: 'twitter', platformUserId: offender(n) },
          { severity: 'critical', toxicityScore: 0.9, commentId: `bench-${runId}-c${n}`, actionTags: [...tags] },
        );
      };
      await closedLoop({ clients, seconds: warmupSeconds, call });
      const before = raw.roundTrips;
      const { value: result, ...cpu } = await cpuDuring(bench.admin, () => closedLoop({ clients, seconds, call }));
      const done = result.calls + result.errors;
      return {
        nodeCpuMicros: (cpu.nodeSeconds * 1e6) / done,
        dbCpuMicros: (cpu.dbSeconds * 1e6) / done,
        perSecond: result.callsPerSecond,
        succeeded: result.calls,
        errors: result.errors,
        p50Ms: result.latencyMs.p50,
        p95Ms: result.latencyMs.p95,
        p99Ms: result.latencyMs.p99,
        roundTripsPerAction: (raw.roundTrips - before) / (result.calls + result.errors),
      };
    },
  };

  const servicePath = (writer: 'rpc' | 'action') => ({
    name: `Shield service, no HTTP, ${writer} writer`,
    async run(clients: number): Promise<Run> {
      const call = async () => {
        const n = sequence++;
        const result = await executeActionsFromTags(
          { db: raw, writer: writerFor(writer) },
          bench.organizationId,
          {
            id: `bench-${runId}-c${n}`,
            platform: 'twitter',
            platform_user_id: offender(n),
            platform_username: 'bench_user',
          },
          tags,
          { toxicity_score: 0.9, source: 'shipcheck-bench' },
        );
        if (!result.success) throw new Error(result.failedActions[0]?.reason ?? 'action failed');
      };
      await closedLoop({ clients, seconds: warmupSeconds, call });
      const before = raw.roundTrips;
      const { value: result, ...cpu } = await cpuDuring(bench.admin, () => closedLoop({ clients, seconds, call }));
      const done = result.calls + result.errors;
      return {
        nodeCpuMicros: (cpu.nodeSeconds * 1e6) / done,
        dbCpuMicros: (cpu.dbSeconds * 1e6) / done,
        perSecond: result.callsPerSecond,
        succeeded: result.calls,
        errors: result.errors,
        p50Ms: result.latencyMs.p50,
        p95Ms: result.latencyMs.p95,
        p99Ms: result.latencyMs.p99,
        roundTripsPerAction: (raw.roundTrips - before) / (result.calls + result.errors),
      };
    },
  });

  const paths = [rawPath, servicePath('rpc'), servicePath('action'), apiPath('rpc'), apiPath('action')];
  const rows: { concurrency: number; path: string; runs: Run[]; ratio: number }[] = [];
  try {
    for (const concurrency of concurrencies) {
      const runs = await inRotatingRounds(paths, rounds, (path) => path.run(concurrency));
      const reference = runs.get(rawPath)!;
      for (const path of paths) {
        const pathRuns = runs.get(path)!;
        rows.push({
          concurrency,
          path: path.name,
          runs: pathRuns,
          ratio: median(pathRuns.map((r, i) => r.perSecond / reference[i]!.perSecond)),
        });
      }
    }
  } finally {
    await raw.close();
    await servers.rpc.shutdown('bench finished');
    await servers.action.shutdown('bench finished');
    await bench.close();
  }
  const loadAfter = machineLoad();

  const figures = rows.map((row) => ({
    concurrency: row.concurrency,
    path: row.path,
    perSecond: median(row.runs.map((r) => r.perSecond)),
    errors: row.runs.reduce((total, r) => total + r.errors, 0),
    p50Ms: median(row.runs.map((r) => r.p50Ms)),
    p95Ms: median(row.runs.map((r) => r.p95Ms)),
    p99Ms: median(row.runs.map((r) => r.p99Ms)),
    roundTripsPerAction: median(row.runs.map((r) => r.roundTripsPerAction)),
    nodeCpuMicros: median(row.runs.map((r) => r.nodeCpuMicros)),
    dbCpuMicros: median(row.runs.map((r) => r.dbCpuMicros)),
    ratioToRaw: row.ratio,
  }));
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ server: bench.serverVersion, durability: bench.durability, loadGenerator: generator, seconds, poolSize, users, rounds, loadBefore, loadAfter, figures }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `Shield action (${tags.join(', ')}) through the HTTP API and the service (rpc and action writers) vs the atomic function alone, PostgreSQL ${bench.serverVersion} (${bench.durability}), ` +
      `pool ${poolSize} connections, ${users} offenders, ${seconds} s per level after ${warmupSeconds} s warm-up, ` +
      `HTTP load from ${generator === 'wrk' ? 'wrk (its own process)' : 'autocannon (in this process: its CPU counts on the API side)'}, ` +
      `${rounds === 1 ? 'one round' : `median of ${rounds} rounds`}\n` +
      `machine before: ${describeLoad(loadBefore)}\nmachine after:  ${describeLoad(loadAfter)}\n\n`,
  );
  const header = [
    'concurrency',
    'path',
    'per s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'errors',
    'DB round trips/action',
    'Node CPU µs/action',
    'DB CPU µs/action',
    'vs atomic function',
  ];
  const table = figures.map((f) => [
    String(f.concurrency),
    f.path,
    fixed(f.perSecond, 0),
    fixed(f.p50Ms, 2),
    fixed(f.p95Ms, 2),
    fixed(f.p99Ms, 2),
    String(f.errors),
    fixed(f.roundTripsPerAction, 2),
    Number.isNaN(f.nodeCpuMicros) ? 'n/a' : fixed(f.nodeCpuMicros, 0),
    Number.isNaN(f.dbCpuMicros) ? 'n/a' : fixed(f.dbCpuMicros, 0),
    fixed(f.ratioToRaw, 2),
  ]);
  process.stdout.write(
    `${markdownTable(header, table, [true, false, true, true, true, true, true, true, true, true, true])}\n`,
  );
}

function actionBody(organizationId: string, platformUserId: string, commentId: string): string {
  return JSON.stringify({
    organization_id: organizationId,
    comment: {
      id: commentId,
      platform: 'twitter',
      platform_user_id: platformUserId,
      platform_username: 'bench_user',
      text: 'synthetic',
    },
    action_tags: tags,
    metadata: { toxicity_score: 0.9, source: 'shipcheck-bench' },
  });
}

/** shield_actions rows: each action of the bench writes one per tag. */
async function auditRows(admin: Queryable): Promise<number> {
  const { rows } = await admin.query<{ n: string }>('select count(*) as n from public.shield_actions');
  return Number(rows[0]!.n);
}

async function roundTripCounters(
  url: string,
  token: string,
  writer: WriterName,
): Promise<{ sum: number; count: number }> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  return {
    sum: sampleValue(text, `shield_action_db_round_trips_sum{writer="${writer}"}`),
    count: sampleValue(text, `shield_action_db_round_trips_count{writer="${writer}"}`),
  };
}

/** wrk when it is installed (or asked for), else autocannon in this process. */
async function loadGenerator(asked: string | undefined): Promise<'wrk' | 'autocannon'> {
  if (asked !== undefined && asked !== 'wrk' && asked !== 'autocannon')
    throw new Error(`--load-generator must be wrk or autocannon, got "${asked}"`);
  if (asked === 'autocannon') return 'autocannon';
  if (await wrkAvailable()) return 'wrk';
  if (asked === 'wrk') throw new Error('--load-generator wrk: wrk is not installed (apt-get install wrk)');
  return 'autocannon';
}

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a whole number of at least 1, got "${raw}"`);
  return value;
}

await main();
