import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

// Who may call migration 024's functions, and what row-level security lets them touch.
const organizationA = randomUUID();
const organizationB = randomUUID();
const memberOfA = randomUUID();
// Roles are cluster-wide: a unique name keeps parallel runs (and other suites) apart.
const publicOnlyRole = `t_public_only_${randomBytes(5).toString('hex')}`;

const recordSql = 'select public.atomic_update_user_behavior($1, $2, $3, $4, $5::jsonb) as result';
const strikeSql = 'select public.atomic_add_user_strike($1, $2, $3, $4, $5, $6) as result';
const violation = JSON.stringify({ severity: 'low', toxicity_score: 0.2, comment_id: 'c1', action_tags: ['warning'] });

let t: TestDatabase;

beforeAll(async () => {
  t = await freshDatabase();
  await t.db.query('insert into public.organizations (id, name) values ($1, $2), ($3, $4)', [
    organizationA,
    'org A',
    organizationB,
    'org B',
  ]);
  await t.db.query('insert into public.organization_members (organization_id, user_id) values ($1, $2)', [
    organizationA,
    memberOfA,
  ]);
  // Role names cannot be bound parameters; this one is built from hex digits above.
  await t.db.query(`create role ${publicOnlyRole} nologin`);
});

afterAll(async () => {
  await t?.db.query(`drop role if exists ${publicOnlyRole}`);
  await t?.drop();
});

/**
 * Runs `work` as `role` (and, for authenticated, as the JWT subject `sub`) inside a
 * transaction, the way PostgREST does: SET LOCAL role and request.jwt.claim.sub.
 */
async function as<T>(role: string, sub: string | null, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return t.db.transaction(async (tx) => {
    await tx.query("select set_config('role', $1, true)", [role]);
    if (sub !== null) await tx.query("select set_config('request.jwt.claim.sub', $1, true)", [sub]);
    return work(tx);
  });
}

const recordFor = (tx: Queryable, organizationId: string, userId: string) =>
  tx.query(recordSql, [organizationId, 'twitter', userId, null, violation]);
const strikeFor = (tx: Queryable, organizationId: string, userId: string) =>
  tx.query(strikeSql, [organizationId, 'twitter', userId, null, 1, 'add_strike_1']);

/** Rows as the superuser sees them (RLS does not apply to it). */
async function rowsOf(organizationId: string): Promise<unknown> {
  const { rows } = await t.db.query(
    'select platform_user_id, total_violations, strikes from public.user_behaviors where organization_id = $1 order by platform_user_id',
    [organizationId],
  );
  return rows;
}

describe('EXECUTE grants', () => {
  it.each([
    ['anon', 'atomic_update_user_behavior', recordFor],
    ['anon', 'atomic_add_user_strike', strikeFor],
  ])('%s may not call %s (42501), nothing written', async (role, name, call) => {
    await expect(as(role, null, (tx) => call(tx, organizationA, 'anon_try'))).rejects.toMatchObject({
      sqlState: '42501',
      message: expect.stringContaining(`permission denied for function ${name}`),
    });
    expect(await rowsOf(organizationA)).not.toContainEqual(expect.objectContaining({ platform_user_id: 'anon_try' }));
  });

  it('refuses a role that has only what PUBLIC has', async () => {
    await expect(as(publicOnlyRole, null, (tx) => recordFor(tx, organizationA, 'public_try'))).rejects.toMatchObject({
      sqlState: '42501',
      message: expect.stringContaining('permission denied for function atomic_update_user_behavior'),
    });
    await expect(as(publicOnlyRole, null, (tx) => strikeFor(tx, organizationA, 'public_try'))).rejects.toMatchObject({
      sqlState: '42501',
      message: expect.stringContaining('permission denied for function atomic_add_user_strike'),
    });
  });

  it('lists only authenticated and service_role (besides the owner) in routine_privileges, as the seed checks', async () => {
    const { rows } = await t.db.query<{ routine_name: string; grantee: string; privilege_type: string }>(
      `select routine_name, grantee, privilege_type from information_schema.routine_privileges
       where routine_schema = 'public' and routine_name in ('atomic_update_user_behavior', 'atomic_add_user_strike')
         and grantee <> current_user order by routine_name, grantee`,
    );
    expect(rows).toEqual([
      { routine_name: 'atomic_add_user_strike', grantee: 'authenticated', privilege_type: 'EXECUTE' },
      { routine_name: 'atomic_add_user_strike', grantee: 'service_role', privilege_type: 'EXECUTE' },
      { routine_name: 'atomic_update_user_behavior', grantee: 'authenticated', privilege_type: 'EXECUTE' },
      { routine_name: 'atomic_update_user_behavior', grantee: 'service_role', privilege_type: 'EXECUTE' },
    ]);
  });
});

describe('row-level security for authenticated (SECURITY INVOKER)', () => {
  beforeAll(async () => {
    // Rows already in org B, written by the service, that a member of A must not change.
    await as('service_role', null, async (tx) => {
      await recordFor(tx, organizationB, 'b_existing');
      await strikeFor(tx, organizationB, 'b_existing');
    });
  });

  it('lets a member of org A record a violation and a strike in org A', async () => {
    const { rows } = await as('authenticated', memberOfA, (tx) => recordFor(tx, organizationA, 'a_offender'));
    expect(rows[0]).toMatchObject({ result: { organization_id: organizationA, total_violations: 1 } });
    await as('authenticated', memberOfA, (tx) => strikeFor(tx, organizationA, 'a_offender'));
    expect(await rowsOf(organizationA)).toContainEqual({
      platform_user_id: 'a_offender',
      total_violations: 1,
      strikes: 1,
    });
  });

  it.each([
    ['a new offender in org B', 'b_new'],
    ['an existing offender in org B', 'b_existing'],
  ])('refuses a member of org A writing %s (42501), nothing written', async (_case, userId) => {
    const before = await rowsOf(organizationB);
    for (const call of [recordFor, strikeFor]) {
      await expect(as('authenticated', memberOfA, (tx) => call(tx, organizationB, userId))).rejects.toMatchObject({
        sqlState: '42501',
        message: expect.stringContaining('row-level security'),
      });
    }
    expect(await rowsOf(organizationB)).toEqual(before);
  });

  it('refuses authenticated without a JWT subject even in org A', async () => {
    await expect(as('authenticated', null, (tx) => recordFor(tx, organizationA, 'a_anonymous'))).rejects.toMatchObject({
      sqlState: '42501',
    });
  });

  it("shows a member of org A only org A's rows", async () => {
    const { rows } = await as('authenticated', memberOfA, (tx) =>
      tx.query<{ organization_id: string }>('select distinct organization_id from public.user_behaviors'),
    );
    expect(rows).toEqual([{ organization_id: organizationA }]);
  });

  it('lets service_role write in any organization', async () => {
    await as('service_role', null, async (tx) => {
      await recordFor(tx, organizationA, 'svc_offender');
      await recordFor(tx, organizationB, 'svc_offender');
      await strikeFor(tx, organizationB, 'svc_offender');
    });
    expect(await rowsOf(organizationA)).toContainEqual({
      platform_user_id: 'svc_offender',
      total_violations: 1,
      strikes: 0,
    });
    expect(await rowsOf(organizationB)).toContainEqual({
      platform_user_id: 'svc_offender',
      total_violations: 1,
      strikes: 1,
    });
  });
});
