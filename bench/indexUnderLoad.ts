/**
 * CREATE INDEX against CREATE INDEX CONCURRENTLY on a big table under the demo's synthetic
 * load: the Shield API with the rpc writer takes --rate actions/s (spread over 500
 * offenders) while shipcheck's migration runner builds an index on public.user_behaviors,
 * seeded with --rows rows. Printed per case: how long the build took, the app's p50/p99/max
 * latency and its errors over the window (load from 2 s before the build to 1 s after), and
 * the same load with no build as the reference.
 *
 *   npx tsx bench/indexUnderLoad.ts [--rows 1000000] [--rate 25] [--json]
 *
 * Honours DATABASE_URL (a superuser URL: the bench creates and drops its own database).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrations/runner.js';
import { startShieldServer } from '../src/shield/http/server.js';
import { loadLimits } from '../src/shield/load/loadOptions.js';
import { runLoad } from '../src/shield/load/runLoad.js';
import { openBenchDatabase } from './support/benchDatabase.js';
import { describeLoad, machineLoad } from './support/machine.js';
import { fixed, markdownTable } from './support/table.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '25' },
    json: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const rate = Number(values.rate);
if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a whole number, got "${values.rows}"`);

interface Case {
  readonly name: string;
  /** The migration's SQL, or undefined for the reference window without a build. */
  readonly sql?: string;
}

const cases: Case[] = [
  { name: 'no migration (reference)' },
  {
    name: 'create index',
    sql: 'create index ub_user_plain_idx on public.user_behaviors (platform_user_id, total_violations);',
  },
  {
    name: 'create index concurrently',
    sql: 'create index concurrently if not exists ub_user_concurrent_idx on public.user_behaviors (platform_user_id, total_violations);',
  },
];

async function main(): Promise<void> {
  const loadBefore = machineLoad();
  const bench = await openBenchDatabase();
  const directory = await mkdtemp(join(tmpdir(), 'shipcheck-index-bench-'));
  const results: Record<string, unknown>[] = [];
  try {
    process.stderr.write(`seeding ${rows} behaviours…\n`);
    await bench.admin.query(
      `insert into public.user_behaviors (organization_id, platform, platform_user_id, total_violations)
       select $1, 'twitter', 'seed_' || g, g % 7 from generate_series(1, $2::int) g`,
      [bench.organizationId, rows],
    );
    await bench.admin.query('analyze public.user_behaviors');
    const token = randomBytes(32).toString('hex');
    const server = await startShieldServer({
      db: Database.connect(bench.url, { max: 6, applicationName: 'shield (index bench)' }),
      auth: { kind: 'bearer', token },
      writer: 'rpc',
      host: '127.0.0.1',
      port: 0,
    });
    try {
      let id = 100;
      for (const testCase of cases) {
        process.stderr.write(`${testCase.name}…\n`);
        const controller = new AbortController();
        const load = runLoad({
          url: server.url,
          rate,
          durationSeconds: loadLimits.maxDurationSeconds,
          users: 500,
          token,
          signal: controller.signal,
        });
        await sleep(2_000);
        let buildMs = 0;
        if (testCase.sql) {
          id++;
          await writeFile(join(directory, `${id}_index.sql`), testCase.sql);
          const began = performance.now();
          await migrate(bench.admin, { directory, source: 'index-bench', to: String(id) });
          buildMs = performance.now() - began;
        } else {
          await sleep(3_000);
        }
        await sleep(1_000);
        controller.abort();
        const result = await load;
        results.push({
          case: testCase.name,
          build_ms: Math.round(buildMs),
          requests: result.responses,
          errors: result.non2xx + result.errors,
          p50_ms: result.latencyMs.p50,
          p99_ms: result.latencyMs.p99,
          max_ms: result.latencyMs.max,
        });
      }
    } finally {
      await server.shutdown('bench finished');
    }
    const { rows: version } = await bench.admin.query<{ v: string }>("select current_setting('server_version') as v");
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ rows, rate, server: version[0]?.v, machine: loadBefore, results }, null, 2)}\n`,
      );
      return;
    }
    process.stdout.write(
      `${rows.toLocaleString('en')} rows in public.user_behaviors, Shield API at ${rate} actions/s (rpc writer), PostgreSQL ${version[0]?.v} (${bench.serverKind}); ${describeLoad(loadBefore)}\n\n`,
    );
    process.stdout.write(
      `${markdownTable(
        ['case', 'build (ms)', 'requests', 'errors', 'p50 (ms)', 'p99 (ms)', 'max (ms)'],
        results.map((r) => [
          String(r.case),
          String(r.build_ms),
          String(r.requests),
          String(r.errors),
          fixed(Number(r.p50_ms), 1),
          fixed(Number(r.p99_ms), 1),
          fixed(Number(r.max_ms), 1),
        ]),
        [false, true, true, true, true, true, true],
      )}\n`,
    );
  } finally {
    await rm(directory, { recursive: true, force: true });
    await bench.close();
  }
}

await main();
