import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlStep } from '../../../src/steps/sql.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

const verifyFunctionQuery = `
  select proname as function_name, pronargs as num_args, prorettype::regtype::text as return_type
  from pg_proc where proname = $1`;

describe('sql step', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  it('passes when the rows match, positional or by name (the seed\'s "Verify Function Exists")', async () => {
    const positional = await harness.run(sqlStep, {
      query: verifyFunctionQuery,
      params: ['is_organization_member'],
      expect: { rows: [['is_organization_member', 1, 'boolean']] },
    });
    expect(positional.status).toBe('passed');
    expect(positional.expected).toBe('1 row (is_organization_member, 1, boolean)');
    expect(positional.observed).toMatchObject({ row_count: 1, columns: ['function_name', 'num_args', 'return_type'] });

    const named = await harness.run(sqlStep, {
      query: verifyFunctionQuery,
      params: ['is_organization_member'],
      expect: { row_count: 1, rows: [{ num_args: '1' }] },
    });
    expect(named.status).toBe('passed');
  });

  it('fails with the row and column that differ', async () => {
    const outcome = await harness.run(sqlStep, {
      query: verifyFunctionQuery,
      params: ['is_organization_member'],
      expect: { rows: [['is_organization_member', 5, 'jsonb']] },
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toBe('row 1: num_args is 1, expected 5');
  });

  it('fails when the function is missing (0 rows)', async () => {
    const outcome = await harness.run(sqlStep, {
      query: verifyFunctionQuery,
      params: ['no_such_function'],
      expect: { row_count: 1 },
    });
    expect(outcome).toMatchObject({ status: 'failed', message: 'expected 1 row, got 0 rows' });
  });

  it('fails with the SQLSTATE when the server rejects the query', async () => {
    const outcome = await harness.run(sqlStep, { query: 'select * from no_such_table', expect: { row_count: 0 } });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/relation "no_such_table" does not exist \(SQLSTATE 42P01\)/);
  });

  it('keeps a query read-only unless it declares mutates: true', async () => {
    const refused = await harness.run(sqlStep, {
      query: "insert into public.organizations (name) values ('sneaky') returning name",
      expect: { row_count: 1 },
    });
    expect(refused.status).toBe('failed');
    expect(refused.message).toMatch(/read-only transaction \(SQLSTATE 25006\)/);
    const count = await harness.database.db.query<{ n: string }>(
      "select count(*) as n from public.organizations where name = 'sneaky'",
    );
    expect(count.rows[0]!.n).toBe('0');

    const allowed = await harness.run(sqlStep, {
      query: "insert into public.organizations (name) values ('declared') returning name",
      mutates: true,
      expect: { rows: [{ name: 'declared' }] },
    });
    expect(allowed.status).toBe('passed');
    const after = await harness.database.db.query<{ n: string }>(
      "select count(*) as n from public.organizations where name = 'declared'",
    );
    expect(after.rows[0]!.n).toBe('1');
  });

  it('runs inside the rehearsal transaction, read-only there too, and leaves it usable', async () => {
    await harness.database.db.withClient(async (client) => {
      await client.query('begin');
      await client.query("insert into public.organizations (name) values ('rehearsed')");
      const outcome = await harness.run(
        sqlStep,
        { query: "select count(*) from public.organizations where name = 'rehearsed'", expect: { rows: [[1]] } },
        { rehearsal: { client } },
      );
      expect(outcome.status).toBe('passed');
      const write = await harness.run(
        sqlStep,
        { query: "delete from public.organizations where name = 'rehearsed'", expect: { row_count: 0 } },
        { rehearsal: { client } },
      );
      expect(write.message).toMatch(/SQLSTATE 25006/);
      // The rehearsal transaction itself is still writable afterwards.
      await client.query("insert into public.organizations (name) values ('still writable')");
      await client.query('rollback');
    });
  });

  it('rejects bad specs with a zod error naming the field', () => {
    const bad = [
      [{ query: '', expect: { row_count: 1 } }, 'query'],
      [{ query: 'select 1' }, 'expect'],
      [{ query: 'select 1', expect: {} }, 'expect'],
      [{ query: 'select 1', expect: { row_count: -1 } }, 'row_count'],
      [{ query: 'select 1', expect: { row_count: 1 }, surprise: true }, 'surprise'],
      [{ query: 'select 1', params: [{ a: 1 }], expect: { row_count: 1 } }, 'params'],
    ] as const;
    for (const [spec, field] of bad) {
      const result = sqlStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(field);
    }
  });

  it('describes the exact SQL for plan', () => {
    const spec = sqlStep.schema.parse({ query: 'select 1', params: [1], expect: { row_count: 1 } });
    const description = sqlStep.describe(spec, { id: 'x', kind: 'sql', title: 'x', onFail: 'stop' });
    expect(description.summary).toBe('run read-only and expect 1 row');
    expect(description.detail).toBe('select 1\n-- params: [1]');
  });

  it('as_role reads as that role: row-level security applies (anon sees no behaviour)', async () => {
    await harness.database.db.query(
      "insert into public.organizations (id, name) values ('00000000-0000-0000-0000-0000000000aa', 'sql as_role') on conflict do nothing",
    );
    await harness.database.db.query(
      "insert into public.user_behaviors (organization_id, platform, platform_user_id) values ('00000000-0000-0000-0000-0000000000aa', 'twitter', 'rls_probe')",
    );
    const asSuperuser = await harness.run(sqlStep, {
      query: "select count(*)::int as n from public.user_behaviors where platform_user_id = 'rls_probe'",
      expect: { rows: [[1]] },
    });
    expect(asSuperuser.status).toBe('passed');
    const asAnon = await harness.run(sqlStep, {
      query: 'select name from public.organizations',
      as_role: 'anon',
      expect: { row_count: 0 },
    });
    expect(asAnon.status).toBe('failed');
    expect(asAnon.message).toMatch(/permission denied for table organizations \(SQLSTATE 42501\)/);
    await expect(
      harness.run(sqlStep, { query: 'select 1', as_role: 'nobody_at_all', expect: { row_count: 1 } }),
    ).rejects.toThrow(/role "nobody_at_all" does not exist/);
  });

  it('a row count that does not match lists the offending rows (the first 10)', async () => {
    const outcome = await harness.run(sqlStep, {
      query: 'select g as id, g * 2 as twice from generate_series(1, 12) g',
      expect: { row_count: 0 },
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toBe(
      'expected 0 rows, got 12 rows: (1, 2), (2, 4), (3, 6), (4, 8), (5, 10), (6, 12), (7, 14), (8, 16), (9, 18), (10, 20), … 2 more',
    );
  });
});
