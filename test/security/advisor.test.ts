import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import { contractStep } from '../../src/steps/contract.js';
import type { TestDatabase } from '../support/database.js';
import { freshDatabase } from '../support/database.js';
import { type StepHarness, stepHarness } from '../support/stepContext.js';

// The classes of Supabase's database advisor (its public "splinter" lint queries), written here
// against the exposed schemas public and auth, plus the checks it does not make (it only asks
// whether a search_path is set). Each query lists offenders: none on a freshly migrated database.
const ownFunctions = `
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('public', 'auth')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')`;

const advisorChecks: Record<string, string> = {
  // 0011 function_search_path_mutable
  'function search_path set': `select p.oid::regprocedure::text as offender ${ownFunctions}
    and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')`,
  // 0013 rls_disabled_in_public
  'RLS enabled on every exposed table': `select c.oid::regclass::text as offender from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity`,
  // 0008 rls_enabled_no_policy
  'every table with RLS has policies': `select c.oid::regclass::text as offender from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and c.relrowsecurity
      and not exists (select 1 from pg_policy p where p.polrelid = c.oid)`,
  // 0010 security_definer_view: a view runs with its owner's rights unless security_invoker is set.
  'no security-definer views': `select c.oid::regclass::text as offender from pg_class c
    where c.relnamespace in ('public'::regnamespace, 'auth'::regnamespace) and c.relkind in ('v', 'm')
      and not coalesce('security_invoker=true' = any (c.reloptions) or 'security_invoker=on' = any (c.reloptions), false)`,
  // 0014 extension_in_public
  'extensions outside public': `select e.extname::text as offender from pg_extension e where e.extnamespace = 'public'::regnamespace`,
  // 0001 unindexed_foreign_keys: an index whose leading columns are the key's columns.
  'foreign keys indexed': `select format('%s.%s', c.conrelid::regclass, c.conname) as offender from pg_constraint c
    where c.contype = 'f' and c.connamespace = 'public'::regnamespace
      and not exists (select 1 from pg_index i where i.indrelid = c.conrelid
                      and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                      and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)`,
};

// What the advisor misses.
const beyondAdvisorChecks: Record<string, string> = {
  'pg_temp named last in every search_path': `select p.oid::regprocedure::text as offender ${ownFunctions}
    and exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%' and c !~ ', pg_temp$')`,
  'no SECURITY DEFINER executable by PUBLIC or anon': `select p.oid::regprocedure::text as offender ${ownFunctions}
    and p.prosecdef
    and (exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')
         or has_function_privilege('anon', p.oid, 'EXECUTE'))`,
  'anon holds no table privilege': `select format('%s: %s', t.table_name, t.privilege_type) as offender
    from information_schema.role_table_grants t where t.grantee in ('anon', 'PUBLIC') and t.table_schema = 'public'`,
};

async function offenders(db: Queryable, sql: string): Promise<string[]> {
  const { rows } = await db.query<{ offender: string }>(sql);
  return rows.map((r) => r.offender).sort();
}

let fresh: TestDatabase;
let before: TestDatabase;
beforeAll(async () => {
  [fresh, before] = await Promise.all([freshDatabase(), freshDatabase({ migrateTo: '024' })]);
});
afterAll(async () => {
  await fresh?.drop();
  await before?.drop();
});

describe('advisor classes on a freshly migrated database: no offender', () => {
  it.each(Object.entries({ ...advisorChecks, ...beyondAdvisorChecks }))('%s', async (_name, sql) => {
    expect(await offenders(fresh.db, sql)).toEqual([]);
  });
});

describe('on a database migrated to 024 only', () => {
  it('the advisor flags pgcrypto in public and the two unindexed foreign keys of shield_jobs', async () => {
    expect(await offenders(before.db, advisorChecks['extensions outside public']!)).toEqual(['pgcrypto']);
    expect(await offenders(before.db, advisorChecks['foreign keys indexed']!)).toEqual([
      'shield_jobs.shield_jobs_organization_id_fkey',
      'shield_jobs.shield_jobs_shield_action_id_fkey',
    ]);
  });

  it('but not the escalation: every search_path is set, only the pg_temp check sees what is wrong', async () => {
    expect(await offenders(before.db, advisorChecks['function search_path set']!)).toEqual([]);
    const late = await offenders(before.db, beyondAdvisorChecks['pg_temp named last in every search_path']!);
    expect(late).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^auth\.uid\(\)$/),
        expect.stringMatching(/atomic_update_user_behavior/),
      ]),
    );
  });
});

describe('the contract check on every SECURITY DEFINER function of a fresh database', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('passes each (pg_temp last, no writable schema in any path, callees too, no open EXECUTE)', async () => {
    const { rows } = await harness.database.db.query<{ schema: string; name: string }>(
      `select n.nspname as schema, p.proname as name ${ownFunctions} and p.prosecdef order by 1, 2`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { schema, name } of rows) {
      const outcome = await harness.run(contractStep, { function: `${schema}.${name}` });
      expect(outcome.status, outcome.message).toBe('passed');
    }
  });
});
