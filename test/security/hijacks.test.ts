import { afterAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import type { TestDatabase } from '../support/database.js';
import { type Lineage, lineages, loginRole, type ShieldTenants, tenantDatabase } from './attackers.js';

// Issue 11: objects a caller plants where migration 024's functions look. 024 pinned
// search_path = pg_catalog, public: pg_temp (not named) was searched first for types, and
// public, writable by any role granted CREATE on it, was searched for operators. 025 pins
// pg_catalog, pg_temp. Each attack is shown working on 024 only, and failing after 025.
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

const recordSql = 'select public.atomic_update_user_behavior($1, $2, $3, $4, $5::pg_catalog.jsonb) as result';
const strikeSql = 'select public.atomic_add_user_strike($1, $2, $3, $4, $5, $6) as result';
const violation = JSON.stringify({ severity: 'high', toxicity_score: 0.5, comment_id: 'c1', action_tags: ['warning'] });

async function attacked(
  lineage: Lineage,
  grants: string[],
): Promise<{ t: TestDatabase; tenants: ShieldTenants; attacker: Awaited<ReturnType<typeof loginRole>> }> {
  const { t, tenants } = await tenantDatabase(lineage);
  const attacker = await loginRole('t_attacker', grants).catch(async (error: unknown) => {
    await t.drop();
    throw error;
  });
  cleanups.push(
    () => attacker.drop(),
    () => t.drop(),
  );
  return { t, tenants, attacker };
}

describe('temporary text and jsonb domains inside the 024 functions', () => {
  /** The marks the attacker's CHECK functions left in this session, in call order. */
  async function plantDomainsAndCall(client: Queryable, tenants: ShieldTenants): Promise<string> {
    for (const type of ['text', 'jsonb']) {
      await client.query(`create function pg_temp.mark_${type}(x pg_catalog.${type}) returns bool language plpgsql as $$
        begin
          perform pg_catalog.set_config('sec.marks',
            pg_catalog.concat(pg_catalog.current_setting('sec.marks', true), ' ${type}'), false);
          return true;
        end$$`);
      await client.query(`create domain pg_temp.${type} as pg_catalog.${type} check (pg_temp.mark_${type}(value))`);
    }
    await client.query(recordSql, [tenants.organizationA, 'twitter', 'hijack_probe', null, violation]);
    await client.query(strikeSql, [tenants.organizationA, 'twitter', 'hijack_probe', null, 1, 'add_strike_1']);
    const { rows } = await client.query<{ marks: string | null }>(
      "select pg_catalog.current_setting('sec.marks', true) as marks",
    );
    return (rows[0]!.marks ?? '').trim();
  }

  it.each(lineages)('on %s', async (lineage) => {
    // As the Shield service (service_role bypasses RLS, so no policy runs auth.uid() here).
    const { t, tenants, attacker } = await attacked(lineage, ['service_role']);
    const marks = await attacker.connect(t).withClient(async (client) => {
      await client.query('set role service_role');
      return plantDomainsAndCall(client, tenants);
    });
    if (lineage === '024 only') {
      // Both functions' variables and casts took the caller's types: the caller's code ran inside them.
      expect(marks.split(' ')).toEqual(expect.arrayContaining(['text', 'jsonb']));
    } else {
      expect(marks).toBe('');
    }
    const { rows } = await t.db.query(
      'select total_violations, strikes from public.user_behaviors where platform_user_id = $1',
      ['hijack_probe'],
    );
    expect(rows).toEqual([{ total_violations: 1, strikes: 1 }]);
  });
});

describe('an operator planted in public by a role with CREATE on it', () => {
  it.each(lineages)('on %s', async (lineage) => {
    const { t, tenants, attacker } = await attacked(lineage, []);
    await t.db.query(`grant usage, create on schema public to ${attacker.name}`);
    // An exact match for `v_toxicity not between 0 and 1` (numeric < integer), preferred over
    // pg_catalog's numeric < numeric wherever public is in the path.
    await attacker.connect(t).query(`
      create function public.planted_lt(numeric, integer) returns boolean language plpgsql as $$
        begin
          perform pg_catalog.set_config('sec.operator_ran_as', current_user::pg_catalog.text, false);
          return $1 operator(pg_catalog.<) $2::pg_catalog.numeric;
        end$$;
      create operator public.< (leftarg = numeric, rightarg = integer, function = public.planted_lt)`);
    // The Shield service calls the function afterwards, in its own session.
    const ranAs = await t.db.transaction(async (tx) => {
      await tx.query("select set_config('role', 'service_role', true)");
      await tx.query(recordSql, [tenants.organizationA, 'twitter', 'operator_probe', null, violation]);
      const { rows } = await tx.query<{ ran_as: string | null }>(
        "select current_setting('sec.operator_ran_as', true) as ran_as",
      );
      return rows[0]!.ran_as ?? '';
    });
    expect(ranAs).toBe(lineage === '024 only' ? 'service_role' : '');
  });
});
