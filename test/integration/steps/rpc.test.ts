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
    await harness.database.db.query("insert into public.organizations (id, name) values ($1, 'test org')", [organizationId]);
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
      manualTest('bad_severity', { args: [organizationId, 'twitter', 'bad_severity', null, { ...violation, severity: 'huge' }] }),
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
      [{ function: 'public.f', args: [], expect: {}, as_role: 'postgres' }, 'as_role'],
      [{ function: 'public.f', args: [], expect: {}, clean: true }, 'clean'],
      [{ function: 'f()', args: [], expect: {} }, 'function'],
    ];
    for (const [spec, field] of bad) {
      const result = rpcStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(field);
    }
  });
});
