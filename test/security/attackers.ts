import { randomBytes, randomUUID } from 'node:crypto';
import { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations/runner.js';
import { adminUrl, freshDatabase, type TestDatabase } from '../support/database.js';

/**
 * A login role of the test's own, as an attacker with a member's login has: roles are
 * cluster-wide, so the name is unique and the role is dropped (after the databases it
 * owns objects in) by `drop()`.
 */
export interface LoginRole {
  readonly name: string;
  /** A one-connection pool logged in as the role to `database`: one session, so temporary objects last. */
  connect(database: TestDatabase): Database;
  isSuperuser(): Promise<boolean>;
  drop(): Promise<void>;
}

export async function loginRole(prefix: string, memberOf: readonly string[]): Promise<LoginRole> {
  // Hex digits only: safe to write into role DDL, which cannot take bound parameters.
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const password = randomBytes(18).toString('hex');
  const admin = Database.connect(adminUrl(), { max: 1 });
  const opened: Database[] = [];
  try {
    await admin.query(`create role ${name} login password '${password}'`);
    for (const role of memberOf) await admin.query(`grant ${role} to ${name}`);
  } catch (error) {
    await admin.close();
    throw error;
  }
  return {
    name,
    connect(database) {
      const url = new URL(database.url);
      url.username = name;
      url.password = password;
      const db = Database.connect(url.href, { max: 1 });
      opened.push(db);
      return db;
    },
    async isSuperuser() {
      const { rows } = await admin.query<{ rolsuper: boolean }>('select rolsuper from pg_roles where rolname = $1', [
        name,
      ]);
      return rows[0]?.rolsuper ?? false;
    },
    async drop() {
      for (const db of opened.splice(0)) await db.close().catch(() => {});
      await admin.query(`drop role if exists ${name}`);
      await admin.close();
    },
  };
}

export interface ShieldTenants {
  readonly organizationA: string;
  readonly organizationB: string;
  /** The JWT subject that is a member of A only. */
  readonly memberOfA: string;
  readonly memberOfB: string;
}

/** Two organizations with one member, behaviour, action and job each. */
export async function seedTenants(t: TestDatabase): Promise<ShieldTenants> {
  const tenants = {
    organizationA: randomUUID(),
    organizationB: randomUUID(),
    memberOfA: randomUUID(),
    memberOfB: randomUUID(),
  };
  await t.db.transaction(async (tx) => {
    for (const [organization, label] of [
      [tenants.organizationA, 'a'],
      [tenants.organizationB, 'b'],
    ] as const) {
      await tx.query('insert into public.organizations (id, name) values ($1, $2)', [organization, `org ${label}`]);
      await tx.query(
        "insert into public.user_behaviors (organization_id, platform, platform_user_id) values ($1, 'twitter', $2)",
        [organization, `offender_${label}`],
      );
      const { rows } = await tx.query<{ id: string }>(
        `insert into public.shield_actions (organization_id, platform, platform_user_id, comment_id, action_tag, status)
         values ($1, 'twitter', $2, 'c1', 'hide_comment', 'queued') returning id`,
        [organization, `offender_${label}`],
      );
      await tx.query(
        "insert into public.shield_jobs (organization_id, shield_action_id, platform, action) values ($1, $2, 'twitter', 'hide')",
        [organization, rows[0]!.id],
      );
    }
    await tx.query('insert into public.organization_members (organization_id, user_id) values ($1, $2), ($3, $4)', [
      tenants.organizationA,
      tenants.memberOfA,
      tenants.organizationB,
      tenants.memberOfB,
    ]);
  });
  return tenants;
}

/** Migrated to 024 only (before the fix), to 025 directly, or seeded at 024 and then upgraded. */
export type Lineage = '024 only' | 'fresh 025' | '024 upgraded to 025';
export const lineages: readonly Lineage[] = ['024 only', 'fresh 025', '024 upgraded to 025'];

/** A seeded database of that lineage. Drop it before the roles that own objects in it. */
export async function tenantDatabase(lineage: Lineage): Promise<{ t: TestDatabase; tenants: ShieldTenants }> {
  const t = await freshDatabase({ migrateTo: lineage === 'fresh 025' ? '025' : '024' });
  try {
    const tenants = await seedTenants(t);
    if (lineage === '024 upgraded to 025') await migrate(t.db, { to: '025' });
    return { t, tenants };
  } catch (error) {
    await t.drop();
    throw error;
  }
}
