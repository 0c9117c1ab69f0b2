import { randomBytes } from 'node:crypto';
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

  it("accepts the server's aliases and argument names", async () => {
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
    // Made SECURITY DEFINER, the function also gets the hardening checks (on by default for definers).
    expect(outcome.message).toMatch(
      /^public\.atomic_update_user_behavior: security is definer \(expected invoker\); search_path pinned is not pinned \(expected pinned\); EXECUTE for service_role is denied \(expected granted\); public\.atomic_update_user_behavior\(uuid, text, text, text, jsonb\) is SECURITY DEFINER \(owner \S+\) and sets no search_path: it resolves names in its caller's path, so role authenticated can plant a type, function or operator that runs as \S+$/,
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
    expect(outcome).toMatchObject({
      status: 'failed',
      message: 'function public.atomic_update_user_behavior does not exist',
    });
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

// A generic fixture with the hole the audit found in Shield (issue 11): a SECURITY DEFINER helper
// whose own path is pinned, calling a uid() whose path leaves pg_temp first for types.
describe('contract step: search_path hijack checks', () => {
  let harness: StepHarness;
  const writer = `t_writer_${randomBytes(5).toString('hex')}`;
  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
    await harness.database.db.query(`
      create schema app;
      create table app.members (user_id uuid);
      create function app.uid() returns uuid language sql stable set search_path = pg_catalog
        as $$ select nullif(current_setting('app.sub', true), '')::uuid $$;
      create function app.is_member() returns boolean language sql stable security definer
        set search_path = pg_catalog, pg_temp
        as $$ select exists (select 1 from app.members m where m.user_id operator(pg_catalog.=) app.uid()) $$;
      revoke all on function app.is_member() from public;
      create role ${writer} nologin;
    `);
  });
  afterAll(async () => {
    await harness?.database.db.query(`drop owned by ${writer}; drop role if exists ${writer}`).catch(() => {});
    await harness?.close();
  });

  async function runAfter(change: string, spec: unknown): Promise<StepOutcome> {
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

  it("fails on a SECURITY DEFINER by default, naming the called uid()'s search_path, pg_temp and who can use it", async () => {
    const outcome = await harness.run(contractStep, { function: 'app.is_member', security: 'definer' });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(
      /^app\.is_member: app\.uid\(\), called by app\.is_member\(\), sets search_path=pg_catalog without pg_temp last: PostgreSQL then searches pg_temp first for types, so PUBLIC \(every role\) \(TEMP on the database\) can create a temporary type its casts resolve to, whose CHECK runs code as \S+$/,
    );
  });

  it('passes once the called function names pg_temp last', async () => {
    const outcome = await runAfter('alter function app.uid() set search_path = pg_catalog, pg_temp', {
      function: 'app.is_member',
    });
    expect(outcome.status, outcome.message).toBe('passed');
    const checks = (outcome.observed as { checks: { check: string }[] }).checks.map((c) => c.check);
    // Roles are cluster-wide: anon is checked when another database's migration created it.
    expect(checks.filter((c) => c !== 'EXECUTE for anon (hardening)')).toEqual([
      'search_path of app.is_member(): pg_temp last',
      'search_path of app.uid(): pg_temp last',
      'EXECUTE for PUBLIC (hardening)',
    ]);
  });

  it('names a schema of the path that another role can write, and the role', async () => {
    const outcome = await runAfter(
      `alter function app.uid() set search_path = pg_catalog, pg_temp;
       alter function app.is_member() set search_path = pg_catalog, app, pg_temp;
       grant create on schema app to ${writer}`,
      { function: 'app.is_member' },
    );
    expect(outcome.message).toMatch(
      new RegExp(
        `^app\\.is_member: app\\.is_member\\(\\) sets search_path=pg_catalog, app, pg_temp, and role ${writer} can create objects in schema app: a function or operator planted there runs as \\S+$`,
      ),
    );
  });

  it('names a path schema that does not exist yet, and a definer with no search_path at all', async () => {
    const missing = await runAfter(
      `alter function app.uid() set search_path = pg_catalog, pg_temp;
       alter function app.is_member() set search_path = pg_catalog, nowhere, pg_temp;
       grant create on database ${harness.database.name} to ${writer}`,
      { function: 'app.is_member' },
    );
    expect(missing.message).toContain(`role ${writer} can create objects in schema nowhere (it does not exist yet)`);
    const unset = await runAfter('alter function app.is_member() reset search_path', { function: 'app.is_member' });
    expect(unset.message).toMatch(/app\.is_member\(\) is SECURITY DEFINER \(owner \S+\) and sets no search_path/);
  });

  it('flags EXECUTE left to PUBLIC unless the contract allows anon', async () => {
    const fixed =
      'alter function app.uid() set search_path = pg_catalog, pg_temp; grant execute on function app.is_member() to public';
    const open = await runAfter(fixed, { function: 'app.is_member' });
    expect(open.message).toMatch(
      /app\.is_member\(\) has EXECUTE granted to PUBLIC: every role that can connect runs it as \S+/,
    );
    const allowed = await runAfter(fixed, { function: 'app.is_member', grants: { allowed: ['anon'] } });
    expect(allowed.message).not.toContain('PUBLIC');
    expect(JSON.stringify(allowed.observed)).not.toContain('(hardening)');
  });

  it.each([
    [
      'a PL/pgSQL definer',
      `create function app.is_member_plpgsql() returns boolean language plpgsql stable security definer
         set search_path = pg_catalog, pg_temp
         as $$ begin return exists (select 1 from app.members m where m.user_id operator(pg_catalog.=) app.uid()); end $$`,
      'app.is_member_plpgsql',
    ],
    [
      'a BEGIN ATOMIC definer (pg_depend)',
      `create function app.is_member_atomic() returns boolean language sql stable security definer
         set search_path = pg_catalog, pg_temp
         begin atomic select exists (select 1 from app.members m where m.user_id operator(pg_catalog.=) app.uid()); end`,
      'app.is_member_atomic',
    ],
    [
      "an unqualified call resolved through the definer's path",
      `create function app.is_member_unqualified() returns boolean language sql stable security definer
         set search_path = pg_catalog, app, pg_temp
         as $$ select exists (select 1 from app.members m where m.user_id operator(pg_catalog.=) uid()) $$`,
      'app.is_member_unqualified',
    ],
  ])("finds uid()'s path from %s", async (_case, create, name) => {
    const outcome = await runAfter(`${create}; revoke all on function ${name}() from public`, { function: name });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toContain(
      `app.uid(), called by ${name}(), sets search_path=pg_catalog without pg_temp last`,
    );
  });

  it('leaves INVOKER functions alone unless hardened: true', async () => {
    const invoker =
      'alter function app.is_member() security invoker; alter function app.is_member() set search_path = pg_catalog';
    expect((await runAfter(invoker, { function: 'app.is_member' })).status).toBe('passed');
    const opted = await runAfter(invoker, { function: 'app.is_member', hardened: true });
    expect(opted.message).toMatch(
      /app\.is_member\(\) sets search_path=pg_catalog without pg_temp last: .* runs code as its caller/,
    );
  });
});
