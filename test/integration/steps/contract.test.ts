import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../../src/db/database.js';
import { contractStep } from '../../../src/steps/contract.js';
import type { StepOutcome } from '../../../src/steps/types.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

const signature = 'public.atomic_update_user_behavior(uuid, text, text, text, jsonb)';
const migration024Contract = {
  function: 'public.atomic_update_user_behavior',
  arguments: ['uuid', 'text', 'text', 'text', 'jsonb'],
  returns: 'jsonb',
  security: 'invoker',
  search_path_pinned: true,
  grants: { allowed: ['authenticated', 'service_role'], denied: ['PUBLIC', 'anon'] },
};

describe('contract step', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  /** Breaks the function inside a transaction that is rolled back, and runs the step on it. */
  async function runAfter(change: string, spec: unknown = migration024Contract): Promise<StepOutcome> {
    return harness.database.db.withClient(async (client: Queryable) => {
      await client.query('begin');
      try {
        await client.query(change);
        return await harness.run(contractStep, spec, { rehearsal: { client } });
      } finally {
        await client.query('rollback');
      }
    });
  }

  it("passes on migration 024's function, each check in observed", async () => {
    const outcome = await harness.run(contractStep, migration024Contract);
    expect(outcome.status, outcome.message).toBe('passed');
    const observed = outcome.observed as { checks: { check: string; ok: boolean }[]; execute_grantees: string[] };
    expect(observed.checks.map((c) => c.check)).toEqual([
      'arguments',
      'returns',
      'security',
      'search_path pinned',
      'EXECUTE for authenticated',
      'EXECUTE for service_role',
      'EXECUTE for PUBLIC',
      'EXECUTE for anon',
    ]);
    expect(observed.execute_grantees).not.toContain('PUBLIC');
  });

  it('accepts the server\'s aliases and argument names', async () => {
    const outcome = await harness.run(contractStep, {
      function: 'public.atomic_update_user_behavior',
      arguments: [{ name: 'p_organization_id', type: 'uuid' }, 'text', 'text', 'text', 'jsonb'],
      returns: 'jsonb',
    });
    expect(outcome.status, outcome.message).toBe('passed');
  });

  it('fails naming PUBLIC and anon when EXECUTE is left to PUBLIC', async () => {
    const outcome = await runAfter(`grant execute on function ${signature} to public`);
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toBe(
      'public.atomic_update_user_behavior: EXECUTE for PUBLIC is granted (expected denied); EXECUTE for anon is granted (expected denied)',
    );
  });

  it('fails naming security, search_path and a missing grant', async () => {
    const outcome = await runAfter(
      `alter function ${signature} security definer reset search_path; revoke execute on function ${signature} from service_role`,
    );
    expect(outcome.message).toBe(
      'public.atomic_update_user_behavior: security is definer (expected invoker); search_path pinned is not pinned (expected pinned); EXECUTE for service_role is denied (expected granted)',
    );
  });

  it('fails naming the signature difference and unknown types or roles', async () => {
    const wrongArguments = await harness.run(contractStep, {
      function: 'public.atomic_update_user_behavior',
      arguments: ['uuid', 'text', 'text', 'jsonb'],
      returns: 'no_such_type',
      grants: { allowed: ['no_such_role'] },
    });
    expect(wrongArguments.message).toBe(
      'public.atomic_update_user_behavior: arguments is (uuid, text, text, text, jsonb) (expected (uuid, text, text, jsonb)); returns is jsonb (expected unknown type no_such_type); EXECUTE for no_such_role is a role that does not exist (expected granted)',
    );
  });

  it('fails when the function does not exist (after a rollback)', async () => {
    const outcome = await runAfter(`drop function ${signature}`);
    expect(outcome).toMatchObject({ status: 'failed', message: 'function public.atomic_update_user_behavior does not exist' });
  });

  it('rejects bad specs', () => {
    const bad: [unknown, string][] = [
      [{ function: 'Public.Bad Name' }, 'function'],
      [{ function: 'public.f', security: 'owner' }, 'security'],
      [{ function: 'public.f', grants: { allowed: ['PUBLIC'] } }, 'PUBLIC'],
      [{ function: 'public.f', grants: { allowed: ['anon'], denied: ['anon'] } }, 'both allowed and denied'],
      [{ function: 'public.f', arguments: [{ type: 'uuid', mode: 'in' }] }, 'mode'],
      [{ function: 'public.f', extra: 1 }, 'extra'],
    ];
    for (const [spec, words] of bad) {
      const result = contractStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(words);
    }
  });

  it('describes the catalog query for plan', () => {
    const description = contractStep.describe(contractStep.schema.parse(migration024Contract), {
      id: 'c',
      kind: 'contract',
      title: 'c',
      onFail: 'stop',
    });
    expect(description.summary).toContain('EXECUTE denied to PUBLIC, anon');
    expect(description.detail).toContain('from pg_proc');
  });
});
