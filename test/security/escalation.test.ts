import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations/runner.js';
import { contractStep } from '../../src/steps/contract.js';
import { stepHarness } from '../support/stepContext.js';
import { type Lineage, lineages, loginRole, tenantDatabase } from './attackers.js';

// Issue 11, section 1: a login role granted `authenticated` made itself superuser through a
// temporary domain named uuid. auth.uid() (001) pinned search_path = pg_catalog without pg_temp,
// so its ::uuid cast resolved to pg_temp.uuid first, and it ran inside the SECURITY DEFINER
// is_organization_member that every RLS policy calls. Migration 025 closes it.
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** The audit's exact steps, as mallory; returns what the select saw and whether mallory is now superuser. */
async function escalate(lineage: Lineage): Promise<{ visible: number; superuser: boolean }> {
  // The database first: its migration 001 creates authenticated on a new server.
  const { t, tenants } = await tenantDatabase(lineage);
  const mallory = await loginRole('t_mallory', ['authenticated']).catch(async (error: unknown) => {
    await t.drop();
    throw error;
  });
  // Cleanups run newest first: the database (where mallory may own objects), then the role.
  cleanups.push(
    () => mallory.drop(),
    () => t.drop(),
  );
  const session = mallory.connect(t);
  const visible = await session.withClient(async (client) => {
    await client.query('set role authenticated');
    await client.query(`create function pg_temp.evil(x pg_catalog.uuid) returns bool language plpgsql
      as $$begin execute 'alter role ${mallory.name} superuser'; return true; end$$`);
    await client.query('create domain pg_temp.uuid as pg_catalog.uuid check (pg_temp.evil(value))');
    await client.query("select pg_catalog.set_config('request.jwt.claims', $1, false)", [
      JSON.stringify({ sub: tenants.memberOfA }),
    ]);
    const { rows } = await client.query<{ count: number }>('select count(*)::int as count from public.user_behaviors');
    return rows[0]!.count;
  });
  return { visible, superuser: await mallory.isSuperuser() };
}

describe('member-to-superuser escalation through a temporary uuid domain', () => {
  it('WORKS on a database migrated to 024 only: the hole 025 closes (mallory becomes superuser)', async () => {
    // One behaviour row of organization A is visible to the policy: the definer ran.
    expect(await escalate('024 only')).toEqual({ visible: 1, superuser: true });
  });

  it.each(['fresh 025', '024 upgraded to 025'] as const)(
    'fails on a database %s: same rows visible, mallory stays a member',
    async (lineage) => {
      expect(await escalate(lineage)).toEqual({ visible: 1, superuser: false });
    },
  );
});

describe("the contract check finds the hole in is_organization_member's callee", () => {
  const contract = {
    function: 'public.is_organization_member',
    arguments: ['uuid'],
    security: 'definer',
    grants: { allowed: ['authenticated', 'service_role'], denied: ['PUBLIC', 'anon'] },
  };

  it.each(lineages)('on %s', async (lineage) => {
    const harness = await stepHarness({ migrateTo: lineage === 'fresh 025' ? '025' : '024' });
    cleanups.push(() => harness.close());
    if (lineage === '024 upgraded to 025') await migrate(harness.database.db, { to: '025' });
    const outcome = await harness.run(contractStep, contract);
    if (lineage === '024 only') {
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(
        /^public\.is_organization_member: auth\.uid\(\), called by public\.is_organization_member\(uuid\), sets search_path=pg_catalog without pg_temp last: PostgreSQL then searches pg_temp first for types, so PUBLIC \(every role\) \(TEMP on the database\) can create a temporary type its casts resolve to, whose CHECK runs code as \S+$/,
      );
    } else {
      expect(outcome.status, outcome.message).toBe('passed');
      const checks = (outcome.observed as { checks: { check: string; ok: boolean }[] }).checks;
      expect(checks.map((c) => c.check)).toContain('search_path of auth.uid(): pg_temp last');
    }
  });
});
