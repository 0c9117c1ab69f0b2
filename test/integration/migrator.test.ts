import { appendFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import type { Queryable } from '../../src/db/database.js';
import { readMigrations } from '../../src/db/migrations/files.js';
import { migrate, migrationStatus, revert, verify } from '../../src/db/migrations/runner.js';
import { CheckFailedError, DatabaseError, UsageError } from '../../src/errors.js';
import { migrationsDir } from '../../src/paths.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

const updateSignature = 'public.atomic_update_user_behavior(uuid, text, text, text, jsonb)';
const strikeSignature = 'public.atomic_add_user_strike(uuid, text, text, text, integer, text)';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function scratch(migrateTo?: string | 'none'): Promise<TestDatabase> {
  const t = await freshDatabase(migrateTo === undefined ? {} : { migrateTo });
  cleanups.push(() => t.drop());
  return t;
}

/** A copy of db/migrations the test may edit without touching the real files. */
async function migrationsCopy(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'shipcheck-migrations-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  await cp(migrationsDir, directory, { recursive: true });
  return directory;
}

async function appliedIds(db: Queryable): Promise<string[]> {
  return (await migrationStatus(db)).map((m) => m.id);
}

async function functionsPresent(db: Queryable): Promise<{ update: boolean; strike: boolean }> {
  const { rows } = await db.query<{ update: boolean; strike: boolean }>(
    'select to_regprocedure($1) is not null as update, to_regprocedure($2) is not null as strike',
    [updateSignature, strikeSignature],
  );
  return rows[0]!;
}

/** The rejection of `promise`; fails the test if it resolves. */
async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

const allIds = async () => (await readMigrations(migrationsDir)).map((m) => m.id);

describe('migrate', () => {
  it('applies every migration once; re-running applies nothing', async () => {
    const t = await scratch('none');
    const ids = await allIds();
    expect(ids).toContain('024');
    expect(await migrate(t.db)).toMatchObject({ applied: ids, alreadyApplied: [] });
    expect(await migrate(t.db)).toMatchObject({ applied: [], alreadyApplied: ids });
    expect(await appliedIds(t.db)).toEqual(ids);
    await verify(t.db, '024');
  });

  it('stops at --to 006, then applies the rest', async () => {
    const t = await scratch('none');
    const ids = await allIds();
    const upTo006 = ids.filter((id) => id <= '006');
    expect((await migrate(t.db, { to: '006' })).applied).toEqual(upTo006);
    expect(await functionsPresent(t.db)).toEqual({ update: false, strike: false });
    expect(await migrate(t.db)).toMatchObject({ applied: ids.filter((id) => id > '006'), alreadyApplied: upTo006 });
    expect(await functionsPresent(t.db)).toEqual({ update: true, strike: true });
  });

  it('refuses to run when an applied migration file was edited since', async () => {
    const t = await scratch('none');
    const directory = await migrationsCopy();
    await migrate(t.db, { directory, to: '024' });
    await appendFile(join(directory, '024_atomic_user_behavior_updates.sql'), '\n-- edited after deploy\n');
    const before = await migrationStatus(t.db);
    const error = await caught(migrate(t.db, { directory }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({
      code: 'migration_changed',
      message: expect.stringMatching(/024_atomic_user_behavior_updates was edited after it was applied/),
    });
    expect(await migrationStatus(t.db)).toEqual(before);
  });

  it('leaves nothing half-applied when a migration fails part-way', async () => {
    const t = await scratch('none');
    const directory = await migrationsCopy();
    // The functions, comments and grants succeed; the last statement fails.
    await appendFile(join(directory, '024_atomic_user_behavior_updates.sql'), '\nselect 1 / 0;\n');
    const error = await caught(migrate(t.db, { directory }));
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({
      sqlState: '22012',
      message: expect.stringMatching(/^024_atomic_user_behavior_updates\.sql:\d+: division by zero/),
    });
    expect(await appliedIds(t.db)).toEqual((await allIds()).filter((id) => id < '024'));
    expect(await functionsPresent(t.db)).toEqual({ update: false, strike: false });
  });
});

describe('revert and verify', () => {
  it('reverts 024, after which verify fails clearly, and re-migrating restores it', async () => {
    const t = await scratch('024');
    await verify(t.db, '024');
    await revert(t.db, '024');
    expect(await functionsPresent(t.db)).toEqual({ update: false, strike: false });
    expect(await appliedIds(t.db)).not.toContain('024');
    const error = await caught(verify(t.db, '024'));
    expect(error).toBeInstanceOf(CheckFailedError);
    expect((error as CheckFailedError).message).toBe(
      'verify 024_atomic_user_behavior_updates failed: 024_atomic_user_behavior_updates.verify.sql: ' +
        `migration 024 is not in place: ${updateSignature} does not exist; ${strikeSignature} does not exist`,
    );
    expect(await migrate(t.db, { to: '024' })).toMatchObject({ applied: ['024'] });
    await verify(t.db, '024');
  });

  it('refuses to revert a migration that is not the newest applied one', async () => {
    const t = await scratch('none');
    const directory = await migrationsCopy();
    // A later migration with its own revert script, so only "not the newest" can refuse 024.
    await writeFile(join(directory, '999_later.sql'), 'create table public.later_marker (id int);\n');
    await writeFile(join(directory, '999_later.revert.sql'), 'drop table public.later_marker;\n');
    await migrate(t.db, { directory });
    const error = await caught(revert(t.db, '024', { directory }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ message: 'migration 024 is not the newest applied one (999 is); revert that first' });
    expect(await appliedIds(t.db)).toEqual([...(await allIds()), '999']);
    expect(await functionsPresent(t.db)).toEqual({ update: true, strike: true });
  });

  describe('verify 024 catches a drifted contract', () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await scratch('024');
    });

    // Each drift is undone afterwards, so the cases share one database and also show verify going green again.
    it.each([
      [
        'GRANT EXECUTE … TO PUBLIC',
        `grant execute on function ${updateSignature} to public`,
        `revoke execute on function ${updateSignature} from public`,
        /PUBLIC can EXECUTE public\.atomic_update_user_behavior/,
      ],
      [
        'GRANT EXECUTE … TO anon',
        `grant execute on function ${strikeSignature} to anon`,
        `revoke execute on function ${strikeSignature} from anon`,
        /anon can EXECUTE public\.atomic_add_user_strike/,
      ],
      [
        'SECURITY DEFINER',
        `alter function ${updateSignature} security definer`,
        `alter function ${updateSignature} security invoker`,
        /is SECURITY DEFINER, expected SECURITY INVOKER/,
      ],
      [
        'an unpinned search_path',
        `alter function ${strikeSignature} reset search_path`,
        `alter function ${strikeSignature} set search_path = pg_catalog, public`,
        /atomic_add_user_strike.* does not pin search_path/,
      ],
      [
        'EXECUTE revoked from service_role',
        `revoke execute on function ${updateSignature} from service_role`,
        `grant execute on function ${updateSignature} to service_role`,
        /service_role cannot EXECUTE/,
      ],
      [
        'a leftover overload',
        'create function public.atomic_update_user_behavior(p_user_id text) returns jsonb language sql as $$ select null::jsonb $$',
        'drop function public.atomic_update_user_behavior(text)',
        /1 other overload\(s\) of public\.atomic_update_user_behavior exist/,
      ],
    ])('fails (CheckFailedError) after %s', async (_change, drift, undo, problem) => {
      await t.db.query(drift);
      const error = await caught(verify(t.db, '024'));
      expect(error).toBeInstanceOf(CheckFailedError);
      expect(error).toMatchObject({ code: 'verify_failed', message: expect.stringMatching(problem) });
      await t.db.query(undo);
      await verify(t.db, '024');
    });
  });
});

describe('shipcheck db verify 024 (CLI, in-process)', () => {
  function capture(): Output & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
  }
  const cli = (args: string[], output: Output, env: NodeJS.ProcessEnv) =>
    main(['node', 'shipcheck', ...args], output, env);

  it('exits 0 when in place, 1 when a check fails, 2 on usage errors, and never prints the connection string', async () => {
    const t = await scratch('024');
    const env = { DATABASE_URL: t.url };

    const ok = capture();
    expect(await cli(['db', 'verify', '024'], ok, env)).toBe(0);
    expect(ok.stdout).toEqual(['verified 024']);

    await t.db.query(`grant execute on function ${updateSignature} to public`);
    const failed = capture();
    expect(await cli(['db', 'verify', '024'], failed, env)).toBe(1);
    expect(failed.stderr[0]).toMatch(
      /^shipcheck: verify 024_atomic_user_behavior_updates failed: .*PUBLIC can EXECUTE/,
    );
    expect(failed.stderr.join('\n')).toMatch(/hint: run `shipcheck db migrate --to 024`/);

    const json = capture();
    expect(await cli(['db', 'verify', '024', '--json'], json, env)).toBe(1);
    expect(JSON.parse(json.stderr[0]!)).toMatchObject({ error: { code: 'verify_failed', exitCode: 1 } });

    const unknown = capture();
    expect(await cli(['db', 'verify', '999'], unknown, env)).toBe(2);
    expect(unknown.stderr[0]).toMatch(/no migration "999"/);

    const noDatabase = capture();
    expect(await cli(['db', 'verify', '024'], noDatabase, {})).toBe(2);
    expect(noDatabase.stderr[0]).toMatch(/DATABASE_URL is not set/);

    // Revert, then re-apply, through the CLI as an operator would.
    const cycle = capture();
    expect(await cli(['db', 'revert', '024'], cycle, env)).toBe(0);
    expect(await cli(['db', 'verify', '024'], cycle, env)).toBe(1);
    expect(await cli(['db', 'migrate', '--to', '024'], cycle, env)).toBe(0);
    expect(await cli(['db', 'verify', '024'], cycle, env)).toBe(0);
    const earlier = (await allIds()).filter((id) => id < '024').length;
    expect(cycle.stdout).toEqual([
      'reverted 024',
      'applied 024',
      `1 applied, ${earlier} already applied`,
      'verified 024',
    ]);

    const printed = [ok, failed, json, unknown, noDatabase, cycle]
      .flatMap((o) => [...o.stdout, ...o.stderr])
      .join('\n');
    expect(printed).not.toContain(t.url);
    const password = new URL(t.url).password;
    if (password.length >= 12) expect(printed).not.toContain(password);
  });
});
