import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { seedTenants, type ShieldTenants } from './attackers.js';

// Privileges per role and row-level security across organizations, for every table of the
// Shield schema, on a freshly migrated database. A member of organization A reads only A's
// rows and can write nothing of B's; anon and a role with only PUBLIC's rights get nothing.
const tables = ['organizations', 'organization_members', 'user_behaviors', 'shield_actions', 'shield_jobs'] as const;
type Table = (typeof tables)[number];
const organizationColumn: Record<Table, string> = {
  organizations: 'id',
  organization_members: 'organization_id',
  user_behaviors: 'organization_id',
  shield_actions: 'organization_id',
  shield_jobs: 'organization_id',
};
// One row each table accepts, for organization $1 (writes are tried for B, the other tenant).
const insertFor: Record<Table, string> = {
  organizations: "insert into public.organizations (id, name) values ($1, 'planted')",
  organization_members:
    'insert into public.organization_members (organization_id, user_id) values ($1, gen_random_uuid())',
  user_behaviors:
    "insert into public.user_behaviors (organization_id, platform, platform_user_id) values ($1, 'twitter', 'planted')",
  shield_actions: `insert into public.shield_actions (organization_id, platform, platform_user_id, comment_id, action_tag, status)
    values ($1, 'twitter', 'planted', 'c', 'warn', 'recorded')`,
  shield_jobs: "insert into public.shield_jobs (organization_id, platform, action) values ($1, 'twitter', 'planted')",
};
const publicOnlyRole = `t_public_only_${randomBytes(5).toString('hex')}`;

let t: TestDatabase;
let tenants: ShieldTenants;

beforeAll(async () => {
  t = await freshDatabase();
  tenants = await seedTenants(t);
  await t.db.query(`create role ${publicOnlyRole} nologin`);
});
afterAll(async () => {
  await t?.drop();
  await t?.db.query(`drop role if exists ${publicOnlyRole}`).catch(() => {});
});

/** `work` as `role` with JWT subject `sub`, in a transaction that is rolled back: attempts never leave rows. */
async function as<T>(role: string, sub: string | null, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return t.db.withClient(async (client) => {
    await client.query('begin');
    try {
      await client.query("select set_config('role', $1, true)", [role]);
      if (sub !== null) await client.query("select set_config('request.jwt.claim.sub', $1, true)", [sub]);
      return await work(client);
    } finally {
      await client.query('rollback');
    }
  });
}

async function organizationsSeen(tx: Queryable, table: Table): Promise<string[]> {
  const { rows } = await tx.query<{ organization: string }>(
    `select distinct ${organizationColumn[table]}::text as organization from public.${table} order by 1`,
  );
  return rows.map((r) => r.organization);
}

const refused = { sqlState: '42501' };

describe('anon and a role with only PUBLIC rights', () => {
  it.each(
    tables.flatMap((table) => [
      ['anon', table],
      ['PUBLIC only', table],
    ]),
  )('%s cannot read or write %s', async (who, table) => {
    const role = who === 'anon' ? 'anon' : publicOnlyRole;
    await expect(as(role, null, (tx) => tx.query(`select 1 from public.${table}`))).rejects.toMatchObject(refused);
    await expect(
      as(role, null, (tx) => tx.query(insertFor[table as Table], [tenants.organizationA])),
    ).rejects.toMatchObject(refused);
  });
});

describe('authenticated, member of A', () => {
  it.each(tables.filter((table) => table !== 'shield_jobs'))('reads only A in %s', async (table) => {
    expect(await as('authenticated', tenants.memberOfA, (tx) => organizationsSeen(tx, table))).toEqual([
      tenants.organizationA,
    ]);
  });

  it('has no privilege on shield_jobs (the service queues them)', async () => {
    await expect(
      as('authenticated', tenants.memberOfA, (tx) => tx.query('select 1 from public.shield_jobs')),
    ).rejects.toMatchObject(refused);
  });

  it.each(tables)('cannot insert a row of B into %s', async (table) => {
    await expect(
      as('authenticated', tenants.memberOfA, (tx) => tx.query(insertFor[table], [tenants.organizationB])),
    ).rejects.toMatchObject(refused);
  });

  it("updates none of B's behaviours and cannot move A's to B", async () => {
    const updated = await as('authenticated', tenants.memberOfA, (tx) =>
      tx.query('update public.user_behaviors set strikes = 99 where organization_id = $1', [tenants.organizationB]),
    );
    expect(updated.rowCount).toBe(0);
    await expect(
      as('authenticated', tenants.memberOfA, (tx) =>
        tx.query('update public.user_behaviors set organization_id = $1 where organization_id = $2', [
          tenants.organizationB,
          tenants.organizationA,
        ]),
      ),
    ).rejects.toMatchObject(refused);
  });

  it.each(tables)('cannot delete from %s', async (table) => {
    await expect(
      as('authenticated', tenants.memberOfA, (tx) => tx.query(`delete from public.${table}`)),
    ).rejects.toMatchObject(refused);
  });

  it.each(['organizations', 'organization_members', 'shield_actions'] as const)(
    'cannot update %s at all',
    async (table) => {
      await expect(
        as('authenticated', tenants.memberOfA, (tx) =>
          tx.query(`update public.${table} set ${organizationColumn[table]} = ${organizationColumn[table]}`),
        ),
      ).rejects.toMatchObject(refused);
    },
  );
});

describe('authenticated without a membership, or without a subject', () => {
  it.each(
    tables
      .filter((table) => table !== 'shield_jobs')
      .flatMap((table) => [
        [table, 'a stranger'],
        [table, 'no subject'],
      ]),
  )('sees nothing in %s as %s', async (table, who) => {
    const sub = who === 'a stranger' ? randomUUID() : null;
    expect(await as('authenticated', sub, (tx) => organizationsSeen(tx, table as Table))).toEqual([]);
  });
});

describe('service_role (the Shield service) works across organizations', () => {
  it.each(tables)('reads both in %s', async (table) => {
    expect(await as('service_role', null, (tx) => organizationsSeen(tx, table))).toEqual(
      [tenants.organizationA, tenants.organizationB].sort(),
    );
  });
});
