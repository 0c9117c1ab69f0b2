import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChecklist } from '../../src/checklist/loader.js';
import type { Queryable } from '../../src/db/database.js';
import { assertTransactionIntact, inTransaction, withSavepoint } from '../../src/db/transaction.js';
import { runChecklist } from '../../src/engine/runner.js';
import { ShipcheckError } from '../../src/errors.js';
import { migrateStep } from '../../src/steps/migrate.js';
import { defaultRegistry } from '../../src/steps/registry.js';
import { rpcStep } from '../../src/steps/rpc.js';
import { sqlStep } from '../../src/steps/sql.js';
import type { StepOutcome } from '../../src/steps/types.js';
import { freshDatabase } from '../support/database.js';
import { type StepHarness, stepHarness } from '../support/stepContext.js';

/**
 * User SQL cannot end shipcheck's transactions (issue 10, "Transactions that cannot be
 * escaped"): each statement that would end one is refused or detected, and nothing it
 * would have let through reaches the target.
 */

/** What a step did: its outcome, or the code of the error it threw (the engine records it as an error). */
async function attempt(
  run: () => Promise<StepOutcome>,
): Promise<{ outcome?: StepOutcome; code?: string; message: string }> {
  try {
    const outcome = await run();
    return { outcome, message: outcome.message };
  } catch (error) {
    if (!(error instanceof ShipcheckError)) throw error;
    return { code: error.code, message: error.message };
  }
}

const transactionControl = [
  'commit',
  'rollback',
  'end',
  'abort',
  'begin',
  'start transaction',
  "prepare transaction 'x'",
  'savepoint mine',
  'release savepoint shipcheck_savepoint_0',
  'rollback to savepoint shipcheck_savepoint_0',
];

/** A step harness whose database has `escape_probe` and a procedure that writes to it, then commits. */
async function probedHarness(): Promise<StepHarness> {
  const harness = await stepHarness({ migrateTo: 'none' });
  await harness.database.db.query(`
    create table public.escape_probe (note text);
    create procedure public.committing_procedure() language plpgsql as $$
    begin insert into public.escape_probe values ('procedure'); commit; end $$;`);
  return harness;
}

describe('the transaction helper', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await probedHarness();
  });
  afterAll(async () => {
    await harness.close();
  });
  const probeRows = async () =>
    (await harness.database.db.query<{ note: string }>('select note from public.escape_probe order by note')).rows.map(
      (r) => r.note,
    );

  it('reports a COMMIT inside its transaction as transaction_ended (committed), never as a success', async () => {
    const error = await harness.database.db
      .withClient((client) =>
        inTransaction(client, async (tx) => {
          await tx.query("insert into public.escape_probe values ('before commit')");
          await tx.query('commit');
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'transaction_ended', message: expect.stringContaining('it was committed') });
    // The report is true: the row did commit.
    expect(await probeRows()).toEqual(['before commit']);
    await harness.database.db.query('truncate public.escape_probe');
  });

  it('reports a ROLLBACK (and a COMMIT hidden in a failing script) as transaction_ended', async () => {
    const rolledBack = await harness.database.db
      .withClient((client) => inTransaction(client, (tx) => tx.query('rollback')))
      .catch((e: unknown) => e);
    expect(rolledBack).toMatchObject({ code: 'transaction_ended', message: expect.stringContaining('rolled back') });

    const hidden = await harness.database.db
      .withClient((client) =>
        inTransaction(client, (tx) => tx.query("insert into public.escape_probe values ('half'); commit; select 1/0")),
      )
      .catch((e: unknown) => e);
    expect(hidden).toMatchObject({ code: 'transaction_ended', message: expect.stringContaining('committed') });
    expect(await probeRows()).toEqual(['half']);
    await harness.database.db.query('truncate public.escape_probe');
  });

  it('reports a savepoint rolled back or released by the work', async () => {
    await harness.database.db.withClient(async (client) => {
      await inTransaction(
        client,
        async () => {
          const rolledBackTo = await withSavepoint(client, (tx) =>
            tx.query('rollback to savepoint shipcheck_savepoint_1'),
          ).catch((e: unknown) => e);
          expect(rolledBackTo).toMatchObject({ code: 'transaction_ended' });
          const released = await withSavepoint(client, (tx) =>
            tx.query('release savepoint shipcheck_savepoint_1'),
          ).catch((e: unknown) => e);
          expect(released).toMatchObject({
            code: 'transaction_ended',
            message: expect.stringContaining('released it'),
          });
        },
        { keep: () => false },
      );
    });
  });

  it('DO and CALL cannot commit inside it: "invalid transaction termination" (2D000)', async () => {
    for (const sql of ['do $$ begin commit; end $$', 'call public.committing_procedure()']) {
      const error = await harness.database.db
        .withClient((client) => inTransaction(client, (tx) => tx.query(sql)))
        .catch((e: unknown) => e);
      expect(error, sql).toMatchObject({ sqlState: '2D000' });
    }
    expect(await probeRows()).toEqual([]);
  });
});

describe('sql steps', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await probedHarness();
  });
  afterAll(async () => {
    await harness.close();
  });
  const tableExists = async (name: string) =>
    (await harness.database.db.query<{ found: string | null }>('select to_regclass($1)::text as found', [name]))
      .rows[0]!.found !== null;

  it("cannot escape the read-only transaction with `select …; commit; create table …` (the issue's reproduction)", async () => {
    const result = await attempt(() =>
      harness.run(sqlStep, {
        query: 'select 1 as one; commit; create table public.escaped (id int)',
        expect: { row_count: 1 },
      }),
    );
    expect(result.outcome?.status).toBe('failed');
    expect(result.message).toMatch(/cannot insert multiple commands into a prepared statement \(SQLSTATE 42601\)/);
    expect(await tableExists('public.escaped')).toBe(false);
  });

  for (const mutates of [false, true]) {
    it(`refuses transaction control (${mutates ? 'mutating' : 'read-only'}): ${transactionControl.join(', ')}`, async () => {
      for (const query of transactionControl) {
        const result = await attempt(() => harness.run(sqlStep, { query, mutates, expect: { row_count: 0 } }));
        // Refused by its command tag, or by the server (no such savepoint): never a pass.
        expect(result.outcome?.status ?? result.code, query).not.toBe('passed');
        if (result.code) expect(['transaction_control_refused', 'transaction_ended'], query).toContain(result.code);
        if (result.code === 'transaction_control_refused')
          expect(result.message).toMatch(/transaction control \((COMMIT|ROLLBACK|BEGIN|START|SAVEPOINT|RELEASE)\)/);
      }
    });
  }

  it('DO $$ … commit … $$ and a committing procedure fail with 2D000 and write nothing', async () => {
    for (const query of [
      "do $$ begin insert into public.escape_probe values ('do'); commit; end $$",
      'call public.committing_procedure()',
    ]) {
      const result = await attempt(() => harness.run(sqlStep, { query, mutates: true, expect: { row_count: 0 } }));
      expect(result.outcome?.status, query).toBe('failed');
      expect(result.message, query).toMatch(/invalid transaction termination \(SQLSTATE 2D000\)/);
    }
    const { rows } = await harness.database.db.query('select * from public.escape_probe');
    expect(rows).toEqual([]);
  });

  it('in a rehearsal: a refused COMMIT is seen by the transaction check, and a multi-statement escape is refused', async () => {
    await harness.database.db.withClient(async (client) => {
      const outcome = await inTransaction(
        client,
        async (rehearsal: Queryable) => {
          await rehearsal.query("insert into public.escape_probe values ('rehearsed')");
          const multi = await attempt(() =>
            harness.run(
              sqlStep,
              { query: 'select 1 as one; commit', expect: { row_count: 1 } },
              { rehearsal: { client: rehearsal } },
            ),
          );
          expect(multi.outcome?.status).toBe('failed');
          await assertTransactionIntact(rehearsal);
          const commit = await attempt(() =>
            harness.run(sqlStep, { query: 'commit', expect: { row_count: 0 } }, { rehearsal: { client: rehearsal } }),
          );
          expect(commit.code).toBe('transaction_control_refused');
          return assertTransactionIntact(rehearsal).catch((e: unknown) => e);
        },
        { keep: () => false },
      ).catch((e: unknown) => e);
      expect(outcome).toMatchObject({ code: 'transaction_ended' });
    });
    // The COMMIT did commit the insert made before it: which is why the check must report it.
    const { rows } = await harness.database.db.query<{ note: string }>('select note from public.escape_probe');
    expect(rows).toEqual([{ note: 'rehearsed' }]);
    await harness.database.db.query('truncate public.escape_probe');
  });
});

describe('rpc steps', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
    await harness.database.db.query(`
      create table public.escape_probe (note text);
      create function public.committing_function() returns jsonb language plpgsql as $$
      begin insert into public.escape_probe values ('function'); commit; return '{}'; end $$;
      create function public.executing_commit() returns jsonb language plpgsql as $$
      begin insert into public.escape_probe values ('execute'); execute 'commit'; return '{}'; end $$;`);
  });
  afterAll(async () => {
    await harness.close();
  });

  it('a function that commits (directly or through EXECUTE) fails the call and writes nothing, also in a rehearsal', async () => {
    for (const fn of ['public.committing_function', 'public.executing_commit']) {
      const real = await harness.run(rpcStep, { function: fn, args: [], expect: {} });
      expect(real.status, fn).toBe('failed');
      expect(real.message, fn).toMatch(/raised (2D000|0A000)/);
      await harness.database.db.withClient((client) =>
        inTransaction(
          client,
          async (rehearsal) => {
            const rehearsed = await harness.run(
              rpcStep,
              { function: fn, args: [], expect: {} },
              { rehearsal: { client: rehearsal } },
            );
            expect(rehearsed.status, fn).toBe('failed');
            await assertTransactionIntact(rehearsal);
          },
          { keep: () => false },
        ),
      );
    }
    const { rows } = await harness.database.db.query('select * from public.escape_probe');
    expect(rows).toEqual([]);
  });
});

describe('migrate steps: a migration file that commits', () => {
  let harness: StepHarness;
  let dir: string;
  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
    dir = await mkdtemp(join(tmpdir(), 'shipcheck-escape-'));
    await writeFile(
      join(dir, '001_commits_half_way.sql'),
      'create table public.first_half (id int);\ncommit;\ncreate table public.second_half (id int);\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await harness.close();
  });
  const recorded = async () =>
    (
      await harness.database.db
        .query<{ id: string }>("select id from shipcheck.migrations where id = '001'")
        .catch(() => ({ rows: [] }))
    ).rows.length;

  it("is refused before any statement runs (PostgreSQL's parser finds the COMMIT), and nothing is recorded", async () => {
    const result = await attempt(() =>
      harness.run(migrateStep, { migration: '001', directory: dir }, { checklistDir: dir }),
    );
    expect(result.code).toBe('transaction_control_refused');
    expect(result.message).toMatch(/^001_commits_half_way\.sql:2: COMMIT in a migration/);
    expect(await recorded()).toBe(0);
    const { rows } = await harness.database.db.query("select to_regclass('public.first_half') as t");
    expect(rows).toEqual([{ t: null }]);
  });

  it('in a rehearsal, is refused the same way', async () => {
    await harness.database.db.query('drop table if exists public.first_half, public.second_half');
    const error = await harness.database.db
      .withClient((client) =>
        inTransaction(
          client,
          async (rehearsal) => {
            const result = await attempt(() =>
              harness.run(
                migrateStep,
                { migration: '001', directory: dir },
                { checklistDir: dir, rehearsal: { client: rehearsal } },
              ),
            );
            expect(result.code).toBe('transaction_control_refused');
          },
          { keep: () => false },
        ),
      )
      .catch((e: unknown) => e);
    // Refused before it ran: the rehearsal's own transaction was never ended.
    expect(error).toBeUndefined();
    expect(await recorded()).toBe(0);
  });
});

describe('run --rehearse', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipcheck-escape-rehearsal-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const checklist = (extraSteps: string) => `version: 1
name: escape-test
environments:
  staging: { connection_env: STAGING_URL }
phases:
  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: apply-024, kind: migrate, title: Apply 024, migration: "024" }
${extraSteps}
rollback:
  function_related: [{ id: rb, kind: sql, title: Nothing, query: "select 1 as one", expect: { row_count: 1 } }]
  data_corruption: [{ id: rb2, kind: sql, title: Nothing, query: "select 1 as one", expect: { row_count: 1 } }]
`;

  async function rehearse(name: string, extraSteps: string, prepare?: (dir: string) => Promise<void>) {
    const database = await freshDatabase({ migrateTo: '006' });
    const runDir = join(dir, name);
    await mkdir(runDir);
    await prepare?.(runDir);
    const file = join(runDir, 'checklist.yaml');
    await writeFile(file, checklist(extraSteps));
    const loaded = await loadChecklist(file, defaultRegistry);
    const result = await runChecklist({
      checklist: loaded,
      environment: 'staging',
      stateDir: join(runDir, '.shipcheck'),
      rehearse: true,
      env: { STAGING_URL: database.url },
    });
    const { rows } = await database.db.query<{ n: number; after: boolean }>(
      "select count(*)::int as n, to_regclass('public.after_escape') is not null as after from pg_proc where proname = 'atomic_update_user_behavior'",
    );
    await database.drop();
    return { result, migration024Applied: rows[0]!.n > 0, stepAfterEscapeRan: rows[0]!.after };
  }

  it('`select …; commit` in an sql step is refused: the rehearsal fails and the target truly is unchanged', async () => {
    const { result, migration024Applied } = await rehearse(
      'multi',
      '      - { id: sneaky, kind: sql, title: Sneaky commit, query: "select 1 as one; commit", expect: { row_count: 1 } }',
    );
    expect(result.error?.message).toMatch(/rehearsal failed: step sneaky/);
    expect(result.error?.message).not.toMatch(/may have changed/);
    expect(migration024Applied).toBe(false);
  });

  it('begin, savepoint, release, DO … commit and a committing procedure, each on_fail: warn, cannot end it: the target truly is unchanged', async () => {
    const hostile = {
      'h-begin': 'begin',
      'h-savepoint': 'savepoint mine',
      'h-release': 'release savepoint shipcheck_savepoint_1', // the step's own savepoint
      'h-do': 'do $$ begin commit; end $$',
      'h-call': 'call public.committing_procedure()',
    };
    const { result, migration024Applied } = await rehearse(
      'hostile',
      [
        '      - { id: mk-proc, kind: sql, mutates: true, title: A committing procedure, query: "create procedure public.committing_procedure() language plpgsql as $$ begin commit; end $$", expect: { row_count: 0 } }',
        ...Object.entries(hostile).map(
          ([id, query]) =>
            `      - { id: ${id}, kind: sql, mutates: true, on_fail: warn, title: Hostile ${id}, query: "${query}", expect: { row_count: 0 } }`,
        ),
      ].join('\n'),
    );
    // Releasing the step's own savepoint leaves the rehearsal transaction aborted (still open): what
    // follows fails, the rehearsal fails, and it is still the transaction that is rolled back.
    expect(result.error?.message).toMatch(/^rehearsal failed: rollback rehearsal: step rb/);
    expect(result.error).toMatchObject({ hint: 'the rehearsal transaction was rolled back; the target is unchanged' });
    for (const id of Object.keys(hostile))
      expect(result.results.find((r) => r.stepId === id)?.status, id).toBe('Error');
    expect(migration024Applied).toBe(false);
  });

  it('`end` (a COMMIT by another name) is caught like `commit`', async () => {
    const { result, migration024Applied } = await rehearse(
      'end',
      '      - { id: sneaky, kind: sql, title: Sneaky end, query: "end", expect: { row_count: 0 } }',
    );
    expect(result.error).toMatchObject({ code: 'transaction_ended' });
    expect(result.error?.message).toMatch(
      /step sneaky \(Sneaky end\) ended the rehearsal transaction, which was committed by it; the target may have changed/,
    );
    expect(migration024Applied).toBe(true);
  });

  it('`commit` alone, with on_fail: warn, stops the rehearsal and says the target may have changed, naming the steps', async () => {
    const { result, migration024Applied, stepAfterEscapeRan } = await rehearse(
      'commit',
      [
        '      - { id: sneaky, kind: sql, title: Sneaky commit, on_fail: warn, query: "commit", expect: { row_count: 0 } }',
        '      - { id: after, kind: sql, mutates: true, title: Must not run for real, query: "create table public.after_escape (id int)", expect: { row_count: 0 } }',
      ].join('\n'),
    );
    expect(result.error).toMatchObject({ code: 'transaction_ended' });
    expect(result.error?.message).toMatch(/step sneaky \(Sneaky commit\) ended the rehearsal transaction/);
    expect(result.error?.message).toMatch(/which was committed by it/);
    expect(result.error?.message).toMatch(
      /the target may have changed: the work of apply-024, sneaky may have been committed$/,
    );
    expect(result.error?.message).not.toMatch(/target is unchanged/);
    // True: the COMMIT committed 024. The next step never ran.
    expect(migration024Applied).toBe(true);
    expect(stepAfterEscapeRan).toBe(false);
    expect(result.results.find((r) => r.stepId === 'after')?.status).not.toBe('Success');
  });

  it('`rollback` alone stops the rehearsal before the next step could run outside any transaction', async () => {
    const { result, stepAfterEscapeRan } = await rehearse(
      'rollback',
      [
        '      - { id: sneaky, kind: sql, title: Sneaky rollback, on_fail: warn, query: "rollback", expect: { row_count: 0 } }',
        '      - { id: after, kind: sql, mutates: true, title: Must not run for real, query: "create table public.after_escape (id int)", expect: { row_count: 0 } }',
      ].join('\n'),
    );
    expect(result.error).toMatchObject({ code: 'transaction_ended' });
    expect(result.error?.message).toMatch(/which was rolled back by it/);
    expect(stepAfterEscapeRan).toBe(false);
    expect(result.results.find((r) => r.stepId === 'after')?.status).not.toBe('Success');
  });

  it('a migration file with `commit;` is refused in the rehearsal before it runs', async () => {
    const { result } = await rehearse(
      'migration-file',
      '      - { id: apply-own, kind: migrate, title: Apply a committing migration, migration: "900", directory: migrations }',
      async (runDir) => {
        await mkdir(join(runDir, 'migrations'));
        await writeFile(
          join(runDir, 'migrations', '900_commits.sql'),
          'create table public.first_half (id int);\ncommit;\n',
        );
      },
    );
    // The parser finds the COMMIT before anything runs: the rehearsal fails and nothing was committed.
    expect(result.error).toMatchObject({ code: 'rehearsal_failed' });
    expect(result.error?.message).toMatch(/900_commits\.sql:2: COMMIT in a migration/);
  });
});
