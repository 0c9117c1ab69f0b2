import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { withTransactionLock } from '../../src/db/advisoryLock.js';
import { Database } from '../../src/db/database.js';
import { migrate, revert } from '../../src/db/migrations/runner.js';
import { behindTransactionPooler } from '../../src/db/poolerDetection.js';
import { ShipcheckError } from '../../src/errors.js';
import { runChecklist } from '../../src/engine/runner.js';
import { readEvents } from '../../src/engine/runLog.js';
import { runDir } from '../../src/engine/runs.js';
import { concurrencyStep } from '../../src/steps/concurrency.js';
import { sessionTarget } from '../../src/steps/sessionTarget.js';
import type { EnvironmentHandle, StepContext } from '../../src/steps/types.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { type Pooler, pgbouncerInstalled, startTransactionPooler } from '../support/pgbouncer.js';
import { testRegistry } from '../unit/engine/testKinds.js';
import { checklistYaml, workspace } from './engineSupport.js';

// A real PgBouncer (Debian's package, installed by .ci/run) in transaction mode, with fewer
// server connections (4) than clients (12), so that clients share server sessions.
// Skipped on a machine without it, never in CI (.ci/run installs it; missing there, the file fails).
describe.runIf(pgbouncerInstalled || process.env.CI === 'true')('behind a transaction-mode PgBouncer', () => {
  let t: TestDatabase;
  let pooler: Pooler;
  let pooled: Database;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    t = await freshDatabase({ migrateTo: 'none' });
    pooler = await startTransactionPooler(t.url, 4);
    pooled = Database.connect(pooler.urlFor(t.url), { max: 12 });
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await pooled?.close();
    await pooler?.stop();
    await t?.drop();
  });

  /** Advisory locks held in the test's database, seen on the real server, not through the pooler. */
  async function advisoryLocksHeld(): Promise<number> {
    const { rows } = await t.db.query<{ n: number }>(
      "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
    );
    return rows[0]!.n;
  }

  it('detects the pooler (and turns named prepared statements off), and a direct connection as direct', async () => {
    const prepared = Database.connect(pooler.urlFor(t.url), { max: 1, preparedStatements: true });
    cleanups.push(() => prepared.close());
    expect(await behindTransactionPooler(pooled)).toBe(true);
    expect(await behindTransactionPooler(prepared)).toBe(true);
    expect(prepared.preparedStatements).toBe(false);
    // Parameterised queries from 12 clients over 4 server connections all answer.
    const sums = await Promise.all(
      Array.from({ length: 12 }, (_, i) => prepared.query<{ n: number }>('select $1::int + 1 as n', [i])),
    );
    expect(sums.map((r) => r.rows[0]!.n)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await behindTransactionPooler(t.db)).toBe(false);
  });

  it('a transaction-scoped lock excludes 12 concurrent clients from each other and is gone afterwards', async () => {
    let inside = 0;
    let most = 0;
    let entered = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let round = 0; round < 4; round++) {
          await withTransactionLock(
            pooled,
            'shipcheck.run:pgbouncer-test:staging',
            async (tx) => {
              inside++;
              entered++;
              most = Math.max(most, inside);
              await tx.query('select pg_sleep(0.005)');
              inside--;
            },
            { wait: true },
          );
        }
      }),
    );
    expect(entered).toBe(48);
    expect(most).toBe(1);
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('a transaction-scoped lock that another client holds is refused without waiting', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let taken!: () => void;
    const isTaken = new Promise<void>((resolve) => {
      taken = resolve;
    });
    const holder = withTransactionLock(pooled, 'held', async () => {
      taken();
      await held;
    });
    await isTaken;
    const refused = await withTransactionLock(pooled, 'held', async () => 'ran').catch((e: unknown) => e);
    release();
    await holder;
    expect(refused).toBeInstanceOf(ShipcheckError);
    expect((refused as ShipcheckError).code).toBe('advisory_lock_held');
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('db migrate through the pooler: 6 concurrent migrates apply each migration once, and leave no lock', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'shipcheck-pgbouncer-migrations-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    await writeFile(join(directory, '001_first.sql'), 'create table public.pb_first (id int);\n');
    // Not idempotent: applied twice, it fails.
    await writeFile(
      join(directory, '002_second.sql'),
      'create table public.pb_second (id int);\ninsert into public.pb_second values (1);\n',
    );
    await writeFile(join(directory, '003_third.sql'), 'alter table public.pb_second add column note text;\n');
    const results = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        await sleep(i * 3);
        return migrate(pooled, { directory, source: 'pgbouncer' });
      }),
    );
    expect(results.flatMap((r) => r.applied).sort()).toEqual(['001', '002', '003']);
    for (const r of results) expect([...r.applied, ...r.alreadyApplied].sort()).toEqual(['001', '002', '003']);
    const { rows } = await t.db.query<{ n: number }>('select count(*)::int as n from public.pb_second');
    expect(rows[0]!.n).toBe(1);
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('refuses, before applying anything, a migration that must run outside a transaction', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'shipcheck-pgbouncer-migrations-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    await writeFile(join(directory, '001_table.sql'), 'create table public.pb_outside (id int);\n');
    await writeFile(
      join(directory, '002_index.sql'),
      'create index concurrently pb_outside_id on public.pb_outside (id);\n',
    );
    const error = await migrate(pooled, { directory, source: 'pgbouncer-outside' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShipcheckError);
    expect((error as ShipcheckError).code).toBe('pooler_session_needed');
    expect((error as ShipcheckError).message).toContain('002_index');
    expect((error as ShipcheckError).hint).toContain('--direct-connection-env');
    const { rows } = await t.db.query<{ n: number }>(
      "select count(*)::int as n from pg_class where relname = 'pb_outside'",
    );
    expect(rows[0]!.n).toBe(0);
    // The same folder on the direct connection applies.
    await expect(migrate(t.db, { directory, source: 'pgbouncer-outside' })).resolves.toMatchObject({
      applied: ['001', '002'],
    });
  });

  it('the run lock needs a session: refused through the pooler (naming direct_connection_env), taken on the direct connection', async () => {
    const handle = (direct?: Database): EnvironmentHandle => ({
      name: 'staging',
      connectionEnv: 'STAGING_DATABASE_URL',
      connectionString: pooler.urlFor(t.url),
      label: 'pooled',
      db: pooled,
      ...(direct && { direct: { connectionEnv: 'STAGING_DIRECT_URL', connectionString: t.url, db: direct } }),
    });
    const refused = await sessionTarget(handle(), 'the run lock').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ShipcheckError);
    expect((refused as ShipcheckError).code).toBe('pooler_session_needed');
    expect((refused as ShipcheckError).message).toContain('STAGING_DATABASE_URL');
    expect((refused as ShipcheckError).hint).toContain('direct_connection_env');
    expect(await sessionTarget(handle(t.db), 'the run lock')).toBe(t.db);
    const direct: EnvironmentHandle = { ...handle(), connectionString: t.url, db: t.db };
    expect(await sessionTarget(direct, 'the run lock')).toBe(t.db);
  });

  it('runs through the pooler: 4 concurrent runs are never inside the mutating step at once, and no lock is left', async () => {
    // Each pass through the step records when it was inside (clock_timestamp, not the transaction's time).
    await t.db.query(`
      create table public.pb_inside (started timestamptz, finished timestamptz);
      create function public.pb_step() returns int language plpgsql as $$
        declare s timestamptz := clock_timestamp();
        begin perform pg_sleep(0.2); insert into public.pb_inside values (s, clock_timestamp()); return 1; end $$;`);
    const yaml = checklistYaml(`  - id: deploy
    title: Staging deployment
    environment: staging
    steps:
      - { id: write, kind: sql, title: Write, mutates: true, query: "select public.pb_step() as one", expect: { rows: [[1]] } }`).replace(
      'staging: { connection_env: STAGING_URL }',
      'staging: { connection_env: STAGING_URL, direct_connection_env: STAGING_DIRECT_URL }',
    );
    const spaces = await Promise.all(Array.from({ length: 4 }, () => workspace()));
    cleanups.push(() => Promise.all(spaces.map((w) => w.remove())));
    const env = { STAGING_URL: pooler.urlFor(t.url), STAGING_DIRECT_URL: t.url, PRODUCTION_URL: t.url };

    // Without the direct connection set, the mutating step is refused before it starts.
    const withoutDirect = await runChecklist({
      checklist: await spaces[0]!.writeChecklist(yaml),
      environment: 'staging',
      stateDir: `${spaces[0]!.stateDir}-nodirect`,
      registry: testRegistry,
      env: { STAGING_URL: pooler.urlFor(t.url), PRODUCTION_URL: t.url },
    }).catch((e: unknown) => ({ error: e as Error }));
    expect((withoutDirect.error as ShipcheckError | undefined)?.code).toBe('pooler_session_needed');
    expect((await t.db.query('select 1 from public.pb_inside')).rowCount).toBe(0);
    const refusedRun = 'runId' in withoutDirect ? withoutDirect.runId : undefined;
    expect(refusedRun).toBeDefined();
    const events = await readEvents(runDir(`${spaces[0]!.stateDir}-nodirect`, refusedRun!));
    expect(events.some((e) => e.type === 'step_started' && e.stepId === 'write')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'error', stepId: 'write' });
    cleanups.push(() => rm(`${spaces[0]!.stateDir}-nodirect`, { recursive: true, force: true }));

    const results = await Promise.all(
      spaces.map(async (w) =>
        runChecklist({
          checklist: await w.writeChecklist(yaml),
          environment: 'staging',
          stateDir: w.stateDir,
          registry: testRegistry,
          env,
        }),
      ),
    );
    for (const r of results)
      expect(r.status === 'passed' || (r.error as ShipcheckError)?.code === 'advisory_lock_held').toBe(true);
    expect(results.some((r) => r.status === 'passed')).toBe(true);
    const { rows } = await t.db.query<{ overlaps: number; passes: number }>(
      `select (select count(*)::int from public.pb_inside a join public.pb_inside b
                on a.ctid <> b.ctid and a.started < b.finished and b.started < a.finished) as overlaps,
              (select count(*)::int from public.pb_inside) as passes`,
    );
    expect(rows[0]!.overlaps).toBe(0);
    expect(rows[0]!.passes).toBe(results.filter((r) => r.status === 'passed').length);
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('db revert through the pooler: of 4 concurrent reverts one reverts, the others find it not applied; no lock left', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'shipcheck-pgbouncer-migrations-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    await writeFile(join(directory, '001_revertible.sql'), 'create table public.pb_revertible (id int);\n');
    await writeFile(join(directory, '001_revertible.revert.sql'), 'drop table public.pb_revertible;\n');
    await migrate(pooled, { directory, source: 'pgbouncer-revert' });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => revert(pooled, '001', { directory, source: 'pgbouncer-revert' })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(String((o.reason as Error).message)).toContain('is not applied');
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('a rehearsal through the pooler takes the run lock inside its transaction and leaves none', async () => {
    const ws = await workspace();
    cleanups.push(() => ws.remove());
    const checklist = await ws.writeChecklist(
      checklistYaml(`  - id: deploy
    title: Staging deployment
    environment: staging
    steps:
      - { id: write, kind: sql, title: Write, mutates: true, query: "select count(*)::int as locks from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()", expect: { rows: [[1]] } }`),
    );
    const result = await runChecklist({
      checklist,
      environment: 'staging',
      stateDir: ws.stateDir,
      registry: testRegistry,
      env: { STAGING_URL: pooler.urlFor(t.url), PRODUCTION_URL: t.url },
      rehearse: true,
    });
    expect(result.error).toBeUndefined();
    const { rows } = await t.db.query<{ n: number }>(
      "select count(*)::int as n from pg_class where relname = 'pb_rehearsed'",
    );
    expect(rows[0]!.n).toBe(0);
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('the concurrency step through the pooler: 36 calls as a role all run as that role, and the role leaks to no other client', async () => {
    const role = `pb_caller_${t.name}`;
    await t.db.query(`create role ${role} nologin`);
    cleanups.push(() => t.db.query(`drop owned by ${role}; drop role ${role}`));
    await t.db.query(`
      create table public.pb_calls (who text);
      grant usage on schema public to ${role};
      grant insert on public.pb_calls to ${role};
      create function public.pb_call() returns void language sql as $$ insert into public.pb_calls values (current_user) $$;
      revoke execute on function public.pb_call() from public;
      grant execute on function public.pb_call() to ${role};`);
    // The step reads only these from its context.
    const context = {
      runId: 'pgbouncer-test',
      environment: { name: 'staging', connectionString: pooler.urlFor(t.url) },
      progress: () => {},
    } as unknown as StepContext;
    const spec = concurrencyStep.schema.parse({
      call: 'public.pb_call',
      calls: 36,
      connections: 12,
      as_role: role,
      expect: { query: 'select count(*)::int as n from public.pb_calls', rows: [[36]] },
    });
    // Meanwhile other clients of the pooler run as themselves.
    const others = Promise.all(
      Array.from({ length: 36 }, () => pooled.query<{ who: string }>('select current_user::text as who')),
    );
    const outcome = await concurrencyStep.run(spec, context);
    expect(outcome.message).toMatch(/^all 36 calls succeeded/);
    const { rows } = await t.db.query<{ who: string; n: number }>(
      'select who, count(*)::int as n from public.pb_calls group by who',
    );
    expect(rows).toEqual([{ who: role, n: 36 }]);
    const seen = new Set((await others).map((r) => r.rows[0]!.who));
    const after = await Promise.all(
      Array.from({ length: 12 }, () => pooled.query<{ who: string }>('select current_user::text as who')),
    );
    for (const r of after) seen.add(r.rows[0]!.who);
    expect([...seen]).toEqual([decodeURIComponent(new URL(t.url).username)]);
  });

  it('a session-mode PgBouncer keeps one server session per client: not taken for a transaction-mode one', async () => {
    const sessionPooler = await startTransactionPooler(t.url, 4, 'session');
    cleanups.push(() => sessionPooler.stop());
    const db = Database.connect(sessionPooler.urlFor(t.url), { max: 2, preparedStatements: true });
    cleanups.push(() => db.close());
    expect(await behindTransactionPooler(db)).toBe(false);
    expect(db.preparedStatements).toBe(true);
  });

  it('shipcheck db migrate: through the pooler a non-transactional migration exits 2 naming --direct-connection-env, which then applies it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'shipcheck-pgbouncer-migrations-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    await writeFile(join(directory, '001_cli_table.sql'), 'create table public.pb_cli (id int);\n');
    await writeFile(
      join(directory, '002_cli_index.sql'),
      'create index concurrently pb_cli_id on public.pb_cli (id);\n',
    );
    const lines: string[] = [];
    const output = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) };
    const env = { DATABASE_URL: pooler.urlFor(t.url), DIRECT_DATABASE_URL: t.url };
    const args = ['node', 'shipcheck', 'db', 'migrate', '--directory', directory];
    expect(await main(args, output, env)).toBe(2);
    expect(lines.join('\n')).toContain('--direct-connection-env');
    expect(lines.join('\n')).not.toContain(t.url);
    expect(await main([...args, '--direct-connection-env', 'DIRECT_DATABASE_URL'], output, env)).toBe(0);
    expect(lines.at(-1)).toBe('2 applied, 0 already applied');
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('a client killed while holding the transaction-scoped lock leaves no lock: the pooler drops its server connection', async () => {
    const victim = new pg.Client({ connectionString: pooler.urlFor(t.url) });
    victim.on('error', () => {});
    await victim.connect();
    await victim.query('begin');
    await victim.query("select pg_advisory_xact_lock(hashtextextended('shipcheck.migrations', 0))");
    expect(await advisoryLocksHeld()).toBe(1);
    // As a kill -9 of the shipcheck process would: the socket goes, no ROLLBACK is sent.
    (victim as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await expect.poll(advisoryLocksHeld, { timeout: 10_000, interval: 50 }).toBe(0);
    await expect(
      withTransactionLock(pooled, 'shipcheck.migrations', async () => 'taken', { wait: false }),
    ).resolves.toBe('taken');
  });

  it('a pool of one server connection is detected without waiting on itself', async () => {
    const single = await startTransactionPooler(t.url, 1);
    cleanups.push(() => single.stop());
    const db = Database.connect(single.urlFor(t.url), { max: 2 });
    cleanups.push(() => db.close());
    expect(await behindTransactionPooler(db)).toBe(true);
  });
});
