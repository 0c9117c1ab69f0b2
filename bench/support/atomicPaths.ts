import postgres from 'postgres';
import { Database } from '../../src/db/database.js';
import type { LatencySummary } from '../../src/metrics/latency.js';
import { rpcWriter } from '../../src/shield/writers/rpc.js';
import type { BenchDatabase } from './benchDatabase.js';
import { closedLoop } from './closedLoop.js';
import { withServerSideFigures, type ServerSideFigures } from './functionStats.js';
import { runPgbench, type PgbenchProtocol } from './pgbench.js';

/** hot: every call on one offender (row-lock bound). spread: offenders drawn from 100,000. */
export type Scenario = 'hot' | 'spread';

export const spreadUsers = 100_000;

export interface PathSettings {
  readonly bench: BenchDatabase;
  readonly scenario: Scenario;
  readonly clients: number;
  readonly seconds: number;
  /** Unmeasured calls first: connections open, statements prepared, the hot row at its bounded size. */
  readonly warmupSeconds: number;
  /** Per-session settings (synchronous_commit=off for the commit-bound experiment). */
  readonly sessionOptions?: Readonly<Record<string, string>>;
}

export interface PathRun {
  readonly callsPerSecond: number;
  readonly calls: number;
  readonly errors: number;
  readonly latencyMs: LatencySummary;
  readonly server: ServerSideFigures;
  /** The client process's CPU per call (µs): on 2 cores, what the client burns the server cannot use. */
  readonly clientCpuMicrosPerCall: number;
}

/** One way of calling atomic_update_user_behavior under a closed loop of `clients`. */
export interface AtomicPath {
  readonly name: string;
  run(settings: PathSettings): Promise<PathRun>;
}

const violation = { severity: 'low', toxicity_score: 0.5, comment_id: 'bench', action_tags: ['warn'] } as const;
const violationInput = { severity: 'low', toxicityScore: 0.5, commentId: 'bench', actionTags: ['warn'] } as const;

export function offenderPicker(scenario: Scenario): () => string {
  return scenario === 'hot' ? () => 'hot_user' : () => `user_${1 + Math.floor(Math.random() * spreadUsers)}`;
}

/** pgbench, the reference: a C client, so what is left is the server's own cost. */
export function pgbenchPath(protocol: PgbenchProtocol = 'prepared'): AtomicPath {
  return {
    name: `pgbench -M ${protocol}`,
    async run(settings) {
      const { bench, scenario, clients } = settings;
      const script = pgbenchScript(bench.organizationId, scenario);
      const common = {
        url: bench.url,
        script,
        clients,
        protocol,
        ...(settings.sessionOptions && { sessionOptions: settings.sessionOptions }),
      };
      await resetRows(bench);
      const { result, server } = await withServerSideFigures(
        bench.admin,
        'atomic_update_user_behavior',
        serverCpuOption(bench),
        async () => {
          // pgbench cannot keep connections between runs: its warm-up is a run of its own.
          const warmup = await runPgbench({ ...common, seconds: settings.warmupSeconds });
          const measured = await runPgbench({ ...common, seconds: settings.seconds });
          return { result: measured, calls: warmup.transactions + measured.transactions };
        },
      );
      return {
        callsPerSecond: result.callsPerSecond,
        calls: result.transactions,
        errors: result.failed,
        latencyMs: result.latencyMs,
        server,
        clientCpuMicrosPerCall: result.clientCpuMicrosPerCall,
      };
    },
  };
}

/** The project's data layer and rpc writer, as the Shield service calls them. */
export function nodePostgresPath(options: { preparedStatements: boolean }): AtomicPath {
  return {
    name: options.preparedStatements ? 'node-postgres, named statements' : 'node-postgres (data layer as shipped)',
    async run(settings) {
      const { bench, scenario, clients } = settings;
      const pickUser = offenderPicker(scenario);
      const call = () =>
        rpcWriter.recordViolation(
          db,
          { organizationId: bench.organizationId, platform: 'twitter', platformUserId: pickUser() },
          violationInput,
        );
      const db = Database.connect(withSessionOptions(bench.url, settings.sessionOptions), {
        max: clients,
        applicationName: 'shipcheck bench',
        preparedStatements: options.preparedStatements,
      });
      return measureClosedLoop(settings, call, () => db.close());
    },
  };
}

/** postgres.js (porsager), the alternative driver: prepared statements and pipelining by default. */
export function postgresJsPath(): AtomicPath {
  return {
    name: 'postgres.js',
    async run(settings) {
      const { bench, scenario, clients } = settings;
      const pickUser = offenderPicker(scenario);
      const sql = postgres(bench.url, {
        max: clients,
        onnotice: () => {},
        ...(settings.sessionOptions && { connection: settings.sessionOptions }),
      });
      // postgres.js serialises for the parameter's server type itself: hand it the object, not a JSON string.
      const call = () =>
        sql`select public.atomic_update_user_behavior(${bench.organizationId}::uuid, 'twitter', ${pickUser()}, null, ${sql.json(violation)}) as result`;
      return measureClosedLoop(settings, call, () => sql.end());
    },
  };
}

async function measureClosedLoop(
  settings: PathSettings,
  call: () => Promise<unknown>,
  close: () => Promise<void>,
): Promise<PathRun> {
  await resetRows(settings.bench);
  const { result, server } = await withServerSideFigures(
    settings.bench.admin,
    'atomic_update_user_behavior',
    serverCpuOption(settings.bench),
    async () => {
      try {
        const warmup = await closedLoop({ clients: settings.clients, seconds: settings.warmupSeconds, call });
        const measured = await closedLoop({ clients: settings.clients, seconds: settings.seconds, call });
        return { result: measured, calls: warmup.calls + warmup.errors + measured.calls + measured.errors };
      } finally {
        // Closing makes the backends exit, which is when they report their function counters.
        await close();
      }
    },
  );
  return {
    callsPerSecond: result.callsPerSecond,
    calls: result.calls,
    errors: result.errors,
    latencyMs: result.latencyMs,
    server,
    clientCpuMicrosPerCall: result.clientCpuMicrosPerCall,
  };
}

/** Server CPU per call only where every backend is ours: a server this bench started. */
function serverCpuOption(bench: BenchDatabase): { measureCpu: boolean } {
  return { measureCpu: bench.serverKind === 'embedded' };
}

/** Every path starts from an empty table, so the spread scenario inserts and the hot row grows alike. */
async function resetRows(bench: BenchDatabase): Promise<void> {
  await bench.admin.query('truncate public.user_behaviors');
}

function withSessionOptions(url: string, sessionOptions: Readonly<Record<string, string>> | undefined): string {
  if (sessionOptions === undefined) return url;
  const withOptions = new URL(url);
  withOptions.searchParams.set(
    'options',
    Object.entries(sessionOptions)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' '),
  );
  return withOptions.toString();
}

function pgbenchScript(organizationId: string, scenario: Scenario): string {
  const user = scenario === 'hot' ? "'hot_user'" : "'user_' || :u";
  return [
    `\\set u random(1, ${spreadUsers})`,
    `select public.atomic_update_user_behavior('${organizationId}'::uuid, 'twitter', ${user}, null, '${JSON.stringify(violation)}'::jsonb);`,
    '',
  ].join('\n');
}
