import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrationStatus } from '../../src/db/migrations/runner.js';
import { mkdir } from 'node:fs/promises';
import { runChecklist } from '../../src/engine/runner.js';
import { listRuns } from '../../src/engine/runs.js';
import { renderMarkdownReport } from '../../src/report/markdown.js';
import { buildRunReport } from '../../src/report/runReport.js';
import { migrateStep } from '../../src/steps/migrate.js';
import { checklistYaml, workspace } from './engineSupport.js';
import { untilLockWaiters } from '../support/lockWaits.js';
import { type StepHarness, stepHarness } from '../support/stepContext.js';

// Migrations that keep the app up (issue 13): statements outside a transaction, lock_timeout
// with retries naming the blocker, locks and rewrites measured per statement, history by source.
describe('migration safety', () => {
  let harness: StepHarness;
  let directory: string;
  const write = (name: string, sql: string) => writeFile(join(directory, name), sql);
  const query = (sql: string, params: unknown[] = []) => harness.database.db.query(sql, params);
  const run = (spec: Record<string, unknown>, overrides = {}) =>
    harness.run(migrateStep, { directory, allow_earlier: true, ...spec }, overrides);

  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
  });
  afterAll(async () => harness?.close());
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'shipcheck-safety-'));
    await query('drop table if exists public.t cascade; delete from shipcheck.migrations where true').catch(() => {});
    await write(
      '001_t.sql',
      'create table public.t (id int primary key, seen int, dup int);\ninsert into public.t select g, g, 1 from generate_series(1, 200) g;',
    );
  });
  afterEach(async () => rm(directory, { recursive: true, force: true }));

  describe('statements that cannot run in a transaction', () => {
    it('deploys CREATE INDEX CONCURRENTLY statement by statement, recording it once every statement succeeded', async () => {
      await write('002_seen_idx.sql', 'create index concurrently if not exists t_seen_idx on public.t (seen);');
      const outcome = await run({ migration: '002' });
      expect(outcome.status, outcome.message).toBe('passed');
      expect(outcome.observed).toMatchObject({ applied: ['001', '002'], transactional: { '001': true, '002': false } });
      const { rows } = await query(
        "select i.indisvalid from pg_index i where i.indexrelid = 'public.t_seen_idx'::regclass",
      );
      expect(rows).toEqual([{ indisvalid: true }]);
    });

    it('a failing statement leaves the migration unrecorded and names its line; no INVALID index stays behind', async () => {
      await write(
        '002_dup.sql',
        'create index concurrently if not exists t_seen_idx on public.t (seen);\ncreate unique index concurrently t_dup_idx on public.t (dup);',
      );
      await expect(run({ migration: '002' })).rejects.toThrow(/^002_dup\.sql:2: could not create unique index/);
      expect((await migrationStatus(harness.database.db, directory)).map((m) => m.id)).toEqual(['001']);
      expect((await query('select count(*)::int as n from pg_index where not indisvalid')).rows).toEqual([{ n: 0 }]);
    });

    it('finds the INVALID index an interrupted build left, refuses to skip it as existing, and repairs it when asked', async () => {
      await run({ migration: '001' });
      // What a killed CREATE INDEX CONCURRENTLY leaves: the index, marked INVALID.
      await query('create unique index concurrently t_dup_idx on public.t (dup)').catch(() => {});
      await write('002_dup.sql', 'create unique index concurrently if not exists t_dup_idx on public.t (dup);');
      await expect(run({ migration: '002' })).rejects.toThrow(
        /index public\.t_dup_idx is INVALID: an earlier CREATE INDEX CONCURRENTLY was interrupted, and 002_dup\.sql:1 would skip it as existing/,
      );
      expect((await migrationStatus(harness.database.db, directory)).map((m) => m.id)).toEqual(['001']);
      await query('update public.t set dup = id');
      const repaired = await run({ migration: '002', repair_invalid_indexes: true });
      expect(repaired.status, repaired.message).toBe('passed');
      expect(repaired.observed).toMatchObject({ repaired_indexes: ['public.t_dup_idx'] });
      expect(
        (await query("select indisvalid from pg_index where indexrelid = 'public.t_dup_idx'::regclass")).rows,
      ).toEqual([{ indisvalid: true }]);
    });

    it('plan says, before anything runs, which statements will run outside a transaction and are not rehearsed', async () => {
      await write(
        '002_seen_idx.sql',
        'alter table public.t add column note text;\ncreate index concurrently if not exists t_seen_idx on public.t (seen);',
      );
      const preview = await migrateStep.preview!(migrateStep.schema.parse({ migration: '002', directory }), {
        checklistDir: directory,
      });
      expect(preview.ok).toBe(true);
      expect(preview.lines).toEqual([
        'applies, in order: 001_t.sql, 002_seen_idx.sql; pending ones among these are applied first (refused at run time unless allow_earlier allows them)',
        '002_seen_idx: runs statement by statement outside a transaction because of CREATE INDEX CONCURRENTLY (line 2)',
        'run --rehearse cannot roll those statements back: they are not rehearsed (the others are)',
      ]);
    });

    it('a rehearsal runs what it can and names the statements it could not rehearse', async () => {
      await write(
        '002_seen_idx.sql',
        'alter table public.t add column note text;\ncreate index concurrently if not exists t_seen_idx on public.t (seen);',
      );
      await harness.database.db.withClient(async (client) => {
        await client.query('begin');
        try {
          const outcome = await run({ migration: '002' }, { rehearsal: { client } });
          expect(outcome.status, outcome.message).toBe('passed');
          expect(outcome.message).toMatch(/not rehearsed \(cannot run in a transaction\): 002 line 2$/);
        } finally {
          await client.query('rollback');
        }
      });
      expect((await query("select to_regclass('public.t') as t")).rows).toEqual([{ t: null }]);
    });
  });

  describe('lock_timeout and retries', () => {
    let holder: pg.Client;
    beforeEach(async () => {
      await run({ migration: '001' });
      holder = new pg.Client({ connectionString: harness.database.url, application_name: 'long-report' });
      await holder.connect();
      await holder.query('begin');
      await holder.query('select count(*) from public.t');
    });
    afterEach(async () => {
      await holder.query('rollback').catch(() => {});
      await holder.end();
    });

    it('gives up after its retries, naming the blocker, while the app waits no longer than lock_timeout', async () => {
      await write('002_col.sql', 'alter table public.t add column c int;');
      const app = appQueries(harness.database.url);
      const outcome = await run({
        migration: '002',
        lock_timeout: '300ms',
        lock_retries: 2,
        lock_retry_delay: '100ms',
      });
      const latencies = await app.stop();
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(
        /^002_col\.sql:1 waited longer than lock_timeout \(300 ms\) for a lock 3 time\(s\); blocked by pid \d+ \(long-report, user \w+, idle in transaction/,
      );
      expect((outcome.observed as { lock_waits: unknown[] }).lock_waits).toHaveLength(3);
      // The app's reads queued behind the waiting ALTER, but never for much longer than the timeout.
      expect(latencies.length).toBeGreaterThan(3);
      expect(Math.max(...latencies)).toBeLessThan(300 + 1500);
      expect((await migrationStatus(harness.database.db, directory)).map((m) => m.id)).toEqual(['001']);
    });

    it('succeeds on a retry once the blocker is gone, keeping the attempt and its blocker as evidence', async () => {
      await write('002_col.sql', 'alter table public.t add column c int;');
      const running = run({
        migration: '002',
        lock_timeout: '300ms',
        lock_retries: 5,
        lock_retry_delay: '200ms',
      });
      // The blocker goes once the ALTER has waited longer than lock_timeout, however late a
      // loaded machine starts it (a fixed 500 ms could end before the first attempt).
      await untilLockWaiters(harness.database.db);
      await new Promise((resolve) => setTimeout(resolve, 400));
      await holder.query('commit');
      const outcome = await running;
      expect(outcome.status, outcome.message).toBe('passed');
      const waits = (outcome.observed as { lock_waits: { blockers: string[] }[] }).lock_waits;
      expect(waits.length).toBeGreaterThanOrEqual(1);
      expect(waits[0]!.blockers[0]).toMatch(/long-report/);
    });
  });

  describe('locks measured per statement', () => {
    beforeEach(async () => {
      await run({ migration: '001' });
    });

    it('reports the lock each statement took on an existing table, and whether it rewrote it', async () => {
      await write(
        '002_mixed.sql',
        'create index t_seen_plain on public.t (seen);\nalter table public.t add column v uuid default gen_random_uuid();\ncreate table public.u (id int);\nalter table public.u add column w int;',
      );
      const outcome = await run({ migration: '002' });
      expect(outcome.status, outcome.message).toBe('passed');
      const statements = (outcome.observed as { statements: Record<string, unknown[]> }).statements['002'];
      expect(statements).toMatchObject([
        {
          line: 1,
          locks: [{ table: 'public.t', mode: 'SHARE', blocksReads: false, blocksWrites: true }],
          rewritten: [],
        },
        {
          line: 2,
          locks: [{ table: 'public.t', mode: 'ACCESS EXCLUSIVE', blocksReads: true, blocksWrites: true }],
          rewritten: ['public.t'],
        },
        // A table the migration itself created: nobody else can be waiting on it.
        { line: 3, locks: [], rewritten: [] },
        { line: 4, locks: [], rewritten: [] },
      ]);
      expect(outcome.message).toMatch(
        /strongest lock on an existing table: ACCESS EXCLUSIVE on public\.t \(line 2\); rewrote public\.t \(line 2\)/,
      );
    });

    it('a statement stronger than max_lock on a hot table rolls the migration back and fails the step', async () => {
      await write('002_idx.sql', 'create index t_seen_plain on public.t (seen);');
      const outcome = await run({ migration: '002', locks: { tables: ['t'], max_lock: 'ROW EXCLUSIVE' } });
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toBe(
        'the migration broke its lock limits, so it was rolled back: line 1 takes SHARE on public.t, stronger than the ROW EXCLUSIVE allowed',
      );
      expect((await query("select to_regclass('public.t_seen_plain') as i")).rows).toEqual([{ i: null }]);
    });

    it('forbid_rewrite fails a statement that rewrites a hot table', async () => {
      await write('002_default.sql', 'alter table public.t add column v uuid default gen_random_uuid();');
      const outcome = await run({ migration: '002', locks: { tables: ['public.t'], forbid_rewrite: true } });
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(/line 1 rewrites public\.t, which is forbidden$/);
    });

    it('rejects a lock mode that does not exist at load', () => {
      const result = migrateStep.schema.safeParse({
        migration: '002',
        locks: { tables: ['t'], max_lock: 'VERY EXCLUSIVE' },
      });
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toMatch(/max_lock is a table lock mode/);
    });
  });

  describe('history namespaced by source', () => {
    it("a team's 001 and Shield's 001 on one database are two migrations", async () => {
      const shield = await stepHarness({ migrateTo: '006' });
      try {
        await writeFile(join(directory, '001_t.sql'), 'create table public.team_t (id int);');
        const outcome = await shield.run(migrateStep, { migration: '001', directory, source: 'team-app' });
        expect(outcome.status, outcome.message).toBe('passed');
        expect(outcome.observed).toMatchObject({ applied: ['001'], source: 'team-app' });
        expect((await migrationStatus(shield.database.db, 'team-app')).map((m) => m.id)).toEqual(['001']);
        expect((await migrationStatus(shield.database.db)).map((m) => m.id)).toEqual([
          '001',
          '002',
          '003',
          '004',
          '005',
          '006',
        ]);
      } finally {
        await shield.close();
      }
    });

    it("upgrades a history written before sources: its rows are Shield's", async () => {
      await query('drop schema if exists shipcheck cascade');
      await query(`create schema shipcheck; create table shipcheck.migrations (id text primary key, name text not null, checksum text not null,
        applied_at timestamptz not null default now(), applied_by text not null default current_user);
        insert into shipcheck.migrations (id, name, checksum) values ('001', '001_supabase_compat_roles', 'x')`);
      expect((await migrationStatus(harness.database.db)).map((m) => m.id)).toEqual(['001']);
      const outcome = await run({ migration: '001' });
      expect(outcome.status, outcome.message).toBe('passed');
      const { rows } = await query('select source, id from shipcheck.migrations order by source, id');
      expect(rows).toEqual([
        { source: directory, id: '001' },
        { source: 'shield', id: '001' },
      ]);
    });
  });

  describe('through a checklist', () => {
    it('lints, rehearses (the report shows the lock table and what was not rehearsed) and deploys a CREATE INDEX CONCURRENTLY migration', async () => {
      const ws = await workspace();
      try {
        await mkdir(join(ws.dir, 'migrations'));
        await writeFile(
          join(ws.dir, 'migrations', '001_t.sql'),
          'create table if not exists public.t (id int primary key, seen int, dup int);',
        );
        await writeFile(
          join(ws.dir, 'migrations', '002_seen_idx.sql'),
          'create index concurrently if not exists t_seen_idx on public.t (seen);',
        );
        const checklist = await ws.writeChecklist(
          checklistYaml(
            `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: lint, kind: lint, title: Lint, migration: "002", directory: migrations }
      - { id: apply, kind: migrate, title: Apply, migration: "002", directory: migrations, source: team, allow_earlier: ["001"] }
`,
            `  function_related:
    - { id: rb, kind: sql, title: Nothing to drop, query: select 1, expect: { row_count: 1 } }
  data_corruption:
    - { id: rb2, kind: sql, title: Nothing to restore, query: select 1, expect: { row_count: 1 } }`,
          ),
        );
        await query('drop table if exists public.t cascade; delete from shipcheck.migrations where true').catch(
          () => {},
        );
        const env = { ...process.env, STAGING_URL: harness.database.url };
        const rehearsal = await runChecklist({
          checklist,
          environment: 'staging',
          stateDir: ws.stateDir,
          rehearse: true,
          env,
        });
        expect(rehearsal.error, String(rehearsal.error)).toBeUndefined();
        const runs = await listRuns(ws.stateDir);
        const markdown = renderMarkdownReport(await buildRunReport(runs.at(-1)!, runs, checklist));
        expect(markdown).toContain('Locks, statement by statement (migration 002):');
        expect(markdown).toContain(
          "| 1 | create index concurrently if not exists t_seen_idx on public.t (seen) | not rehearsed: CREATE INDEX CONCURRENTLY cannot run inside the rehearsal's transaction | – | – | – | – |",
        );
        expect((await query("select to_regclass('public.t') as t")).rows).toEqual([{ t: null }]);

        const real = await runChecklist({ checklist, environment: 'staging', stateDir: ws.stateDir, env });
        expect(real.error, String(real.error)).toBeUndefined();
        expect((await migrationStatus(harness.database.db, 'team')).map((m) => m.id)).toEqual(['001', '002']);
        expect(
          (await query("select indisvalid from pg_index where indexrelid = 'public.t_seen_idx'::regclass")).rows,
        ).toEqual([{ indisvalid: true }]);
      } finally {
        await ws.remove();
      }
    });
  });
});

/** An app reading the table every 50 ms on its own connection; stop() returns each read's latency in ms. */
function appQueries(url: string): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const client = new pg.Client({ connectionString: url, application_name: 'app' });
  const loop = (async () => {
    await client.connect();
    while (running) {
      const began = performance.now();
      await client.query('select count(*) from public.t');
      latencies.push(performance.now() - began);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}
