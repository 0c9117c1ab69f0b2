import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcStep } from '../../../src/steps/rpc.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

const organizationId = '00000000-0000-0000-0000-000000000001';
const violation = { severity: 'medium', toxicity_score: 0.75, comment_id: 'test_comment', action_tags: ['warning'] };

function manualTest(userId: string, overrides: Record<string, unknown> = {}) {
  return {
    function: 'public.atomic_update_user_behavior',
    args: [organizationId, 'twitter', userId, 'testuser_migration', violation],
    expect: { keys: ['user_id', 'total_violations', 'severity_counts', 'last_violation_at'] },
    ...overrides,
  };
}

describe('rpc step', () => {
  let harness: StepHarness;
  const rowCount = async (userId: string) =>
    Number(
      (
        await harness.database.db.query<{ n: string }>(
          'select count(*) as n from public.user_behaviors where platform_user_id = $1',
          [userId],
        )
      ).rows[0]!.n,
    );

  beforeAll(async () => {
    harness = await stepHarness();
    await harness.database.db.query("insert into public.organizations (id, name) values ($1, 'test org')", [
      organizationId,
    ]);
  });
  afterAll(async () => {
    await harness.close();
  });

  it("passes the seed's manual RPC test and keeps the written row as evidence", async () => {
    const outcome = await harness.run(
      rpcStep,
      manualTest('test_migration_024', {
        as_role: 'service_role',
        expect: {
          keys: ['user_id', 'total_violations', 'severity_counts', 'last_violation_at'],
          values: { user_id: 'test_migration_024', total_violations: 1, 'severity_counts.medium': 1 },
          types: { last_violation_at: 'string', severity_counts: 'object' },
        },
      }),
    );
    expect(outcome.status, outcome.message).toBe('passed');
    expect(outcome.observed).toMatchObject({
      signature: 'atomic_update_user_behavior(uuid,text,text,text,jsonb)',
      result: { user_id: 'test_migration_024', total_violations: 1 },
    });
    expect(await rowCount('test_migration_024')).toBe(1);
  });

  it('cleanup: true reads the result, then rolls the write back', async () => {
    const outcome = await harness.run(rpcStep, manualTest('cleaned_up', { cleanup: true }));
    expect(outcome.status).toBe('passed');
    expect(await rowCount('cleaned_up')).toBe(0);
  });

  it('fails naming missing keys, wrong values and wrong types', async () => {
    const outcome = await harness.run(
      rpcStep,
      manualTest('wrong_expectations', {
        cleanup: true,
        expect: {
          keys: ['user_id', 'strikes'],
          values: { total_violations: 2 },
          types: { total_violations: 'string' },
        },
      }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toBe(
      'public.atomic_update_user_behavior returned a result where missing key strikes; total_violations is 1, expected 2; total_violations has type "number", expected "string"',
    );
  });

  it("fails with the function's own error, and writes nothing", async () => {
    const outcome = await harness.run(
      rpcStep,
      manualTest('bad_severity', {
        args: [organizationId, 'twitter', 'bad_severity', null, { ...violation, severity: 'huge' }],
      }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/^public\.atomic_update_user_behavior raised 22023: /);
    expect(await rowCount('bad_severity')).toBe(0);
  });

  it('fails when the role may not execute the function', async () => {
    const outcome = await harness.run(rpcStep, manualTest('as_anon', { as_role: 'anon' }));
    expect(outcome.message).toMatch(/raised 42501: permission denied for function atomic_update_user_behavior/);
  });

  it('fails when the function is missing or takes other arguments', async () => {
    expect((await harness.run(rpcStep, manualTest('x', { function: 'public.nope' }))).message).toBe(
      'function public.nope does not exist',
    );
    const wrongArity = await harness.run(rpcStep, manualTest('x', { args: [organizationId] }));
    expect(wrongArity.message).toMatch(/^no overloads of public\.atomic_update_user_behavior take 1 arguments/);
  });

  it('runs inside the rehearsal transaction: the write is visible there and gone after its rollback', async () => {
    await harness.database.db.withClient(async (client) => {
      await client.query('begin');
      const outcome = await harness.run(rpcStep, manualTest('rehearsed', { as_role: 'service_role' }), {
        rehearsal: { client },
      });
      expect(outcome.status).toBe('passed');
      const seen = await client.query<{ n: string; role: string }>(
        "select count(*) as n, current_user as role from public.user_behaviors where platform_user_id = 'rehearsed'",
      );
      expect(seen.rows[0]).toEqual({ n: '1', role: 'postgres' });
      await client.query('rollback');
    });
    expect(await rowCount('rehearsed')).toBe(0);
  });

  it('rejects bad specs', () => {
    const bad: [unknown, string][] = [
      [{ function: 'public.f', expect: {} }, 'args'],
      [{ function: 'public.f', args: [], expect: { keys: [''] } }, 'keys'],
      [{ function: 'public.f', args: [], expect: { types: { a: 'int' } } }, 'types'],
      [{ function: 'public.f', args: [], expect: {}, as_role: 'bad role!' }, 'as_role'],
      [{ function: 'public.f', args: [], expect: {}, clean: true }, 'clean'],
      [{ function: 'f()', args: [], expect: {} }, 'function'],
    ];
    for (const [spec, field] of bad) {
      const result = rpcStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(field);
    }
  });

  describe("any team's function: refusals, any role, reset, void functions", () => {
    beforeAll(async () => {
      await harness.database.db.query(`
        create table public.rpc_notes (id text primary key, body text);
        create function public.add_note(p_id text, p_body text) returns void language sql
          set search_path = pg_catalog, public, pg_temp
          as $$ insert into public.rpc_notes values (p_id, p_body) $$;
        revoke execute on function public.add_note(text, text) from public;
        create role rpc_test_writer_${harness.database.name} nologin;
        grant execute on function public.add_note(text, text) to rpc_test_writer_${harness.database.name};
        grant insert, select on public.rpc_notes to rpc_test_writer_${harness.database.name};`);
    });
    afterAll(async () => {
      await harness.database.db
        .query(
          `drop owned by rpc_test_writer_${harness.database.name}; drop role rpc_test_writer_${harness.database.name}`,
        )
        .catch(() => {});
    });
    const note = (overrides: Record<string, unknown> = {}) => ({
      function: 'public.add_note',
      args: ['n1', 'hello'],
      ...overrides,
    });

    it('expect.error: anon being refused (42501) is the pass; a call that succeeds fails the step', async () => {
      const refused = await harness.run(rpcStep, note({ as_role: 'anon', expect: { error: { sqlstate: '42501' } } }));
      expect(refused.status, refused.message).toBe('passed');
      expect(refused.message).toMatch(
        /^public\.add_note was refused as expected: 42501 permission denied for function add_note/,
      );
      const allowed = await harness.run(
        rpcStep,
        note({ args: ['n0', 'x'], cleanup: true, expect: { error: { sqlstate: '42501' } } }),
      );
      expect(allowed.status).toBe('failed');
      expect(allowed.message).toMatch(
        /returned "", expected it to be refused with 42501|returned null, expected it to be refused with 42501/,
      );
      const other = await harness.run(rpcStep, note({ as_role: 'anon', expect: { error: { sqlstate: '22023' } } }));
      expect(other.message).toMatch(/raised 42501: .*; expected 22023$/);
    });

    it('as_role takes any role that exists; an unknown one is a usage error before anything runs', async () => {
      const writer = `rpc_test_writer_${harness.database.name}`;
      const outcome = await harness.run(rpcStep, note({ args: ['n2', 'as writer'], as_role: writer }));
      expect(outcome.status, outcome.message).toBe('passed');
      await expect(harness.run(rpcStep, note({ as_role: 'no_such_role_here' }))).rejects.toThrow(
        /as_role: role "no_such_role_here" does not exist/,
      );
    });

    it('a void function passes on returning, follow_up: checks the row it wrote, and reset: makes a re-run repeatable', async () => {
      const spec = note({
        args: ['n3', 'again'],
        reset: "delete from public.rpc_notes where id = 'n3'",
        follow_up: { query: "select body from public.rpc_notes where id = 'n3'", rows: [['again']] },
      });
      const first = await harness.run(rpcStep, spec);
      expect(first.status, first.message).toBe('passed');
      expect(first.message).toMatch(/the follow-up query got 1 row \(again\)$/);
      // Without reset the second call would hit the primary key.
      expect((await harness.run(rpcStep, spec)).status).toBe('passed');
      const wrong = await harness.run(rpcStep, {
        ...spec,
        follow_up: { query: "select body from public.rpc_notes where id = 'n3'", rows: [['other']] },
      });
      expect(wrong.status).toBe('failed');
      expect(wrong.message).toMatch(/returned, but the follow-up query: row 1: body is "again", expected "other"/);
    });

    it('rejects expect.error combined with result checks, and a bad SQLSTATE', () => {
      for (const [spec, words] of [
        [note({ expect: { error: { sqlstate: '42501' }, keys: ['x'] } }), 'cannot be combined'],
        [note({ expect: { error: { sqlstate: 'nope' } } }), 'five-character SQLSTATE'],
        [note({ as_role: 'x; drop table t' }), 'as_role is a role name'],
        [note({ follow_up: { query: 'select 1' } }), 'follow_up needs rows'],
      ] as const) {
        const result = rpcStep.schema.safeParse(spec);
        expect(result.success, JSON.stringify(spec)).toBe(false);
        expect(JSON.stringify(result.error?.issues)).toContain(words);
      }
    });
  });
});
