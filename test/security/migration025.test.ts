import { afterAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import { migrate, migrationStatus, revert, verify } from '../../src/db/migrations/runner.js';
import { CheckFailedError } from '../../src/errors.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { seedTenants } from './attackers.js';

// Migration 025's life cycle: verify, revert to exactly what 024 left, re-apply; 024's own
// verify accepts the hardened functions; data survives both directions.
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});
async function scratch(migrateTo: string): Promise<TestDatabase> {
  const t = await freshDatabase({ migrateTo });
  cleanups.push(() => t.drop());
  return t;
}

/** What 025 changes, as the catalog says: functions of public and auth, pgcrypto's schema, shield_jobs' indexes. */
async function schemaState(db: Queryable): Promise<unknown> {
  const functions = await db.query(
    `select p.oid::regprocedure::text as signature, p.prosrc, p.proconfig, p.prosecdef, p.proacl::text[] as acl,
            obj_description(p.oid, 'pg_proc') as comment
     from pg_proc p where p.pronamespace in ('public'::regnamespace, 'auth'::regnamespace) order by 1`,
  );
  const extension = await db.query(
    "select extnamespace::regnamespace::text as schema from pg_extension where extname = 'pgcrypto'",
  );
  const schemas = await db.query("select nspname from pg_namespace where nspname = 'extensions'");
  const indexes = await db.query(
    "select indexname, indexdef from pg_indexes where tablename = 'shield_jobs' order by 1",
  );
  return { functions: functions.rows, pgcrypto: extension.rows, extensionsSchema: schemas.rows, indexes: indexes.rows };
}

describe('migration 025', () => {
  it('verifies on a fresh database, where 024 still verifies too', async () => {
    const t = await scratch('025');
    await verify(t.db, '025');
    await verify(t.db, '024');
  });

  it('fails its verify on a 024-only database, naming each problem', async () => {
    const t = await scratch('024');
    const error = await verify(t.db, '025').then(
      () => expect.fail('expected a failure'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckFailedError);
    const message = (error as CheckFailedError).message;
    for (const problem of [
      'auth.uid() has search_path=pg_catalog: pg_temp is not named last',
      'public.is_organization_member(uuid) has config {"search_path=pg_catalog, public, pg_temp"}',
      'atomic_update_user_behavior accepted a platform user id of invisible characters',
      'pgcrypto is installed in schema public',
      'foreign key shield_jobs_organization_id_fkey (shield_jobs.organization_id) has no covering index',
      'foreign key shield_jobs_shield_action_id_fkey (shield_jobs.shield_action_id) has no covering index',
    ]) {
      expect(message).toContain(problem);
    }
  });

  it("upgrades a seeded 024 database, reverts to exactly 024's catalog state, and re-applies; rows untouched", async () => {
    const t = await scratch('024');
    const reference = await scratch('024');
    await seedTenants(t);
    const rows = async () => (await t.db.query('select * from public.user_behaviors order by id')).rows;
    const before = await rows();

    expect((await migrate(t.db, { to: '025' })).applied).toEqual(['025']);
    await verify(t.db, '025');
    expect(await rows()).toEqual(before);

    await revert(t.db, '025');
    expect((await migrationStatus(t.db)).map((m) => m.id)).not.toContain('025');
    expect(await schemaState(t.db)).toEqual(await schemaState(reference.db));
    await verify(t.db, '024');
    expect(await rows()).toEqual(before);

    await migrate(t.db, { to: '025' });
    await verify(t.db, '025');
  });

  it('leaves a pre-existing extensions schema and a foreign auth.uid() alone (as on Supabase)', async () => {
    const t = await scratch('024');
    // Supabase's own auth.uid() sets no search_path; its pgcrypto lives in an extensions schema of its own.
    await t.db.query(`
      create or replace function auth.uid() returns uuid language sql stable
        as $$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
      alter function auth.uid() reset all;
      create schema extensions;
      alter extension pgcrypto set schema extensions`);
    const uidBefore = (await t.db.query("select prosrc, proconfig from pg_proc where oid = 'auth.uid()'::regprocedure"))
      .rows;
    await migrate(t.db, { to: '025' });
    await verify(t.db, '025');
    await revert(t.db, '025');
    expect(
      (await t.db.query("select prosrc, proconfig from pg_proc where oid = 'auth.uid()'::regprocedure")).rows,
    ).toEqual(uidBefore);
    expect(
      (
        await t.db.query(
          "select extnamespace::regnamespace::text as schema from pg_extension where extname = 'pgcrypto'",
        )
      ).rows,
    ).toEqual([{ schema: 'extensions' }]);
  });
});
