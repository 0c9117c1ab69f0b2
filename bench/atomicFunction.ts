/**
 * Throughput and latency of atomic_update_user_behavior through the project's Node
 * data layer (node-postgres, the rpc writer) and through postgres.js, against
 * pgbench calling the same function with the same client count in the same run.
 *
 *   npx tsx bench/atomicFunction.ts [--seconds 10] [--clients 8] [--json]
 *
 * Honours DATABASE_URL (a superuser URL: the bench creates and drops its own database).
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { Database } from '../src/db/database.js';
import { rpcWriter } from '../src/shield/writers/rpc.js';
import { openBenchDatabase, type BenchDatabase } from './support/benchDatabase.js';
import { closedLoop } from './support/closedLoop.js';
import { runPgbench } from './support/pgbench.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const spreadUsers = 100_000;
const violation = { severity: 'low', toxicity_score: 0.5, comment_id: 'bench', action_tags: ['warn'] } as const;

type Scenario = 'hot' | 'spread';
const userFor = (scenario: Scenario) => (scenario === 'hot' ? () => 'hot_user' : () => `user_${1 + Math.floor(Math.random() * spreadUsers)}`);

interface Row {
  scenario: Scenario;
  path: string;
  callsPerSecond: number;
  meanLatencyMs: number;
  p95LatencyMs?: number;
  serverMeanExecMs: number;
  ratioToPgbench?: number;
}

async function main(): Promise<void> {
  const bench = await openBenchDatabase();
  const rows: Row[] = [];
  try {
    for (const scenario of ['hot', 'spread'] as const) {
      const pgbench = await measured(bench, () =>
        runPgbench({ url: bench.url, script: pgbenchScript(bench.organizationId, scenario), clients, seconds }),
      );
      rows.push({
        scenario,
        path: 'pgbench (reference)',
        callsPerSecond: pgbench.result.callsPerSecond,
        meanLatencyMs: pgbench.result.meanLatencyMs,
        serverMeanExecMs: pgbench.serverMeanExecMs,
      });
      const nodePg = await measured(bench, () => nodePgLoop(bench, scenario));
      rows.push(nodeRow(scenario, 'node-postgres (shipcheck data layer)', nodePg, pgbench.result.callsPerSecond));
      const porsager = await measured(bench, () => postgresJsLoop(bench, scenario));
      rows.push(nodeRow(scenario, 'postgres.js', porsager, pgbench.result.callsPerSecond));
    }
  } finally {
    await bench.close();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ server: bench.serverVersion, clients, seconds, rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`atomic_update_user_behavior, PostgreSQL ${bench.serverVersion}, ${clients} clients, ${seconds} s per path\n\n`);
  process.stdout.write('| scenario | path | calls/s | mean ms | p95 ms | server mean exec ms | vs pgbench |\n|---|---|---:|---:|---:|---:|---:|\n');
  for (const r of rows) {
    process.stdout.write(
      `| ${r.scenario} | ${r.path} | ${r.callsPerSecond.toFixed(0)} | ${r.meanLatencyMs.toFixed(2)} | ${r.p95LatencyMs?.toFixed(2) ?? '–'} | ${r.serverMeanExecMs.toFixed(3)} | ${r.ratioToPgbench === undefined ? '1.00' : r.ratioToPgbench.toFixed(2)} |\n`,
    );
  }
}

function nodeRow(
  scenario: Scenario,
  path: string,
  run: { result: Awaited<ReturnType<typeof closedLoop>>; serverMeanExecMs: number },
  reference: number,
): Row {
  if (run.result.errors > 0) throw new Error(`${path}: ${run.result.errors} calls failed`);
  return {
    scenario,
    path,
    callsPerSecond: run.result.callsPerSecond,
    meanLatencyMs: run.result.latencyMs.mean,
    p95LatencyMs: run.result.latencyMs.p95,
    serverMeanExecMs: run.serverMeanExecMs,
    ratioToPgbench: run.result.callsPerSecond / reference,
  };
}

/** Empties the table and the function statistics before a path, and reads the server-side mean after. */
async function measured<T>(bench: BenchDatabase, work: () => Promise<T>): Promise<{ result: T; serverMeanExecMs: number }> {
  await bench.admin.query('truncate public.user_behaviors');
  await bench.admin.query('select pg_stat_reset()');
  const result = await work();
  // Function statistics reach the view when the backends report them; pg_stat_force_next_flush is PG15+.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const { rows } = await bench.admin.query<{ calls: string; total: number }>(
    "select calls, total_time as total from pg_stat_user_functions where funcname = 'atomic_update_user_behavior'",
  );
  const calls = Number(rows[0]?.calls ?? 0);
  return { result, serverMeanExecMs: calls === 0 ? Number.NaN : (rows[0]?.total ?? 0) / calls };
}

async function nodePgLoop(bench: BenchDatabase, scenario: Scenario) {
  const db = Database.connect(bench.url, { max: clients });
  const user = userFor(scenario);
  const violationInput = { severity: 'low' as const, toxicityScore: 0.5, commentId: 'bench', actionTags: ['warn'] };
  try {
    return await closedLoop({
      clients,
      seconds,
      call: () =>
        rpcWriter.recordViolation(db, { organizationId: bench.organizationId, platform: 'twitter', platformUserId: user() }, violationInput),
    });
  } finally {
    await db.close();
  }
}

async function postgresJsLoop(bench: BenchDatabase, scenario: Scenario) {
  const sql = postgres(bench.url, { max: clients, onnotice: () => {} });
  const user = userFor(scenario);
  // postgres.js serialises for the parameter's server type itself: hand it the object, not a JSON string.
  const data = sql.json(violation);
  try {
    return await closedLoop({
      clients,
      seconds,
      call: () =>
        sql`select public.atomic_update_user_behavior(${bench.organizationId}::uuid, 'twitter', ${user()}, null, ${data}) as result`,
    });
  } finally {
    await sql.end();
  }
}

function pgbenchScript(organizationId: string, scenario: Scenario): string {
  const user = scenario === 'hot' ? "'hot_user'" : "'user_' || :u";
  return [
    `\\set u random(1, ${spreadUsers})`,
    `select public.atomic_update_user_behavior('${organizationId}'::uuid, 'twitter', ${user}, null, '${JSON.stringify(violation)}'::jsonb);`,
    '',
  ].join('\n');
}

await main();
