import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChecklist } from '../../src/checklist/loader.js';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { ChecklistError } from '../../src/checklist/problems.js';
import { readFolder } from '../../src/db/migrations/files.js';
import { flywayChecksum } from '../../src/db/migrations/flywayChecksum.js';
import { compareVersions, listFolder } from '../../src/db/migrations/formats.js';
import { migrationStatus } from '../../src/db/migrations/runner.js';
import { migrateStep } from '../../src/steps/migrate.js';
import { defaultRegistry } from '../../src/steps/registry.js';
import { rollbackStep } from '../../src/steps/rollback.js';
import { freshDatabase } from '../support/database.js';
import { type StepHarness, stepHarness } from '../support/stepContext.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A temp folder holding `files` (path → content; `supabase/x.sql` makes the folder too). */
async function folder(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'shipcheck-formats-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(directory, name)), { recursive: true });
    await writeFile(join(directory, name), content);
  }
  return directory;
}

/** A checklist whose one phase, on staging, has `steps`; `top`: more top-level lines (YAML indented as in the file). */
const deployChecklist = (name: string, steps: string, rollback: string, top = '') => `version: 1
name: ${name}
${top}environments:
  staging: { connection_env: STAGING_DATABASE_URL }
phases:
  - id: deploy
    title: Deploy
    environment: staging
    steps:
${steps}
rollback:
${rollback}
`;

describe('migration folders by format (names only)', () => {
  it('flyway: versions compared part by part as numbers, U scripts as reverts, repeatables listed as problems', async () => {
    const directory = await folder({
      'V1__init.sql': 'create table a (id int);\n',
      'V1.10__ten.sql': 'select 10;\n',
      'V1.2__two.sql': 'select 2;\n',
      'V2_1__two_one.sql': 'select 21;\n',
      'U1.2__two.sql': 'select -2;\n',
      'U9__orphan.sql': 'select -9;\n',
      'R__views.sql': 'select 0;\n',
    });
    const listing = listFolder({ format: 'flyway', directory });
    expect(listing.migrations.map((m) => m.id)).toEqual(['1', '1.2', '1.10', '2.1']);
    expect(listing.migrations.find((m) => m.id === '1.2')?.revert).toMatchObject({
      kind: 'file',
      path: join(directory, 'U1.2__two.sql'),
    });
    expect(listing.migrations.find((m) => m.id === '2.1')?.description).toBe('two one');
    expect(listing.problems).toEqual([
      expect.stringMatching(
        /^R__views\.sql: not a Flyway versioned migration name .*repeatable migrations are not supported/,
      ),
      'U9__orphan.sql: an undo script without its V migration',
    ]);
    expect(compareVersions('flyway', '1.9', '1.10')).toBe(-1);
    expect(compareVersions('flyway', '1', '1.0')).toBe(0);
  });

  it('duplicate versions are refused naming both files (1.1 and 1_1 are one version to Flyway)', async () => {
    const directory = await folder({ 'V1.1__a.sql': 'select 1;\n', 'V1_1__b.sql': 'select 1;\n' });
    expect(listFolder({ format: 'flyway', directory }).duplicates).toEqual([
      'version 1.1: V1.1__a.sql and V1_1__b.sql',
    ]);
    await expect(readFolder({ format: 'flyway', directory })).rejects.toThrow(/V1\.1__a\.sql and V1_1__b\.sql/);
  });

  it('supabase and shipcheck list every name they cannot read, and scripts without their migration', async () => {
    const supabase = await folder({
      '20240101120000_init.sql': 'select 1;\n',
      '2024_bad.sql': 'select 1;\n',
      'notes.md': '# x\n',
    });
    const listing = listFolder({ format: 'supabase', directory: supabase });
    expect(listing.migrations.map((m) => [m.id, m.description])).toEqual([['20240101120000', 'init']]);
    expect(listing.problems).toEqual([
      '2024_bad.sql: not a Supabase migration name (<14-digit timestamp>_name.sql)',
      'notes.md: not a Supabase migration name (<14-digit timestamp>_name.sql)',
    ]);
    const shipcheck = await folder({
      '001_a.sql': 'select 1;\n',
      '002_b.verify.sql': 'select 1;\n',
      '3_c.sql': 'select 1;\n',
    });
    expect(listFolder({ format: 'shipcheck', directory: shipcheck }).problems).toEqual([
      '3_c.sql: not a shipcheck migration name (NNN_name.sql, NNN_name.revert.sql, NNN_name.verify.sql)',
      '002_b.verify.sql: no migration 002_b.sql for it',
    ]);
  });

  it('plain keeps the order of its list; scripts named in the step are a path or the SQL itself', async () => {
    const directory = await folder({ 'b.sql': 'select 2;\n', 'a.sql': 'select 1;\n', 'undo_b.sql': 'select -2;\n' });
    const migrations = await readFolder({
      format: 'plain',
      directory,
      files: ['b.sql', 'a.sql'],
      scripts: {
        b: { revert: 'undo_b.sql' },
        a: { revert: 'drop table if exists x;', verify: 'select 1 from pg_class limit 1' },
      },
      baseDir: directory,
    });
    expect(migrations.map((m) => [m.id, m.revertSql, m.verifySql])).toEqual([
      ['b', 'select -2;\n', undefined],
      ['a', 'drop table if exists x;', 'select 1 from pg_class limit 1'],
    ]);
  });

  it("computes Flyway's checksum: CRC32 over the lines, line-ending and BOM independent, signed", () => {
    // The row Flyway's own documentation shows for V3__Couple.sql (Tutorial - Dry Runs): checksum -722651034.
    const couple =
      'create table COUPLE (\n    ID int not null,\n    PERSON1 int not null references PERSON(ID), \n    PERSON2 int not null references PERSON(ID) \n);\n';
    expect(flywayChecksum(couple)).toBe(-722651034);
    expect(flywayChecksum('abc')).toBe(0x352441c2);
    expect(flywayChecksum('a\r\nb\r\n')).toBe(flywayChecksum('a\nb'));
    expect(flywayChecksum('\uFEFFa\nb\n')).toBe(flywayChecksum('ab'));
    // CRC32 of "The quick brown fox jumps over the lazy dog" is 0x414FA339; a high bit set turns negative in Java's int.
    expect(flywayChecksum('select 1;\n')).toBeGreaterThanOrEqual(-(2 ** 31));
    expect(flywayChecksum('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
    expect(flywayChecksum('123456789')).toBe(0xcbf43926 | 0);
    expect(flywayChecksum('123456789')).toBeLessThan(0);
  });
});

describe('migrate and rollback on other formats (real PostgreSQL)', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
  });
  afterAll(async () => {
    await harness.close();
  });
  const db = () => harness.database.db;

  it('supabase: records in supabase_migrations.schema_migrations what `supabase migration list` reads; a row the CLI wrote counts as applied', async () => {
    const directory = await folder({
      '20240101120000_create_notes.sql':
        'create table public.sb_notes (id bigint primary key, body text);\ncomment on table public.sb_notes is $$a; b$$;\n',
      '20240102120000_add_author.sql': 'alter table public.sb_notes add column author text;\n',
    });
    // The first one was pushed by the Supabase CLI earlier: its table, and its history as the CLI creates and writes it.
    await db().query('create table public.sb_notes (id bigint primary key, body text)');
    await db().query('create schema if not exists supabase_migrations');
    await db().query(
      'create table if not exists supabase_migrations.schema_migrations (version text not null primary key)',
    );
    await db().query('alter table supabase_migrations.schema_migrations add column if not exists statements text[]');
    await db().query('alter table supabase_migrations.schema_migrations add column if not exists name text');
    await db().query(
      'insert into supabase_migrations.schema_migrations(version, name, statements) values ($1, $2, $3)',
      ['20240101120000', 'create_notes', ['create table public.sb_notes (id bigint primary key, body text)']],
    );

    const outcome = await harness.run(
      migrateStep,
      { migration: '20240102120000', format: 'supabase', directory },
      { checklistDir: '/' },
    );
    expect(outcome.status, outcome.message).toBe('passed');
    expect(outcome.observed).toMatchObject({
      applied: ['20240102120000'],
      already_applied: ['20240101120000'],
      history: 'supabase_migrations.schema_migrations',
    });

    // The CLI's own read (pkg/migration/history.go SELECT_VERSION_TABLE), and the table's shape.
    const listed = await db().query(
      "SELECT version, coalesce(name, '') as name, statements FROM supabase_migrations.schema_migrations ORDER BY version",
    );
    expect(listed.rows).toEqual([
      {
        version: '20240101120000',
        name: 'create_notes',
        statements: ['create table public.sb_notes (id bigint primary key, body text)'],
      },
      {
        version: '20240102120000',
        name: 'add_author',
        statements: ['alter table public.sb_notes add column author text'],
      },
    ]);
    const columns = await db().query(
      `select column_name, data_type, udt_name from information_schema.columns
        where table_schema = 'supabase_migrations' and table_name = 'schema_migrations' order by ordinal_position`,
    );
    expect(columns.rows.map((c) => `${c.column_name} ${c.udt_name}`)).toEqual([
      'version text',
      'statements _text',
      'name text',
    ]);
    // shipcheck's own history is not written for a supabase folder.
    const own = await db().query<{ t: string | null }>("select to_regclass('shipcheck.migrations')::text as t");
    if (own.rows[0]?.t)
      expect((await db().query("select 1 from shipcheck.migrations where id like '2024%'")).rows).toEqual([]);

    // A revert declared in the checklist (Supabase keeps none): the row goes, as `migration repair --status reverted` does.
    const scripts = { '20240102120000': { revert: 'alter table public.sb_notes drop column author;' } };
    const reverted = await harness.run(
      rollbackStep,
      { revert_migration: '20240102120000', format: 'supabase', migrations_dir: directory, scripts },
      { checklistDir: '/' },
    );
    expect(reverted.status, reverted.message).toBe('passed');
    expect(reverted.observed).toMatchObject({ reverted: true });
    const after = await db().query('select version from supabase_migrations.schema_migrations order by version');
    expect(after.rows).toEqual([{ version: '20240101120000' }]);
  });

  it("flyway: a row Flyway wrote is read as applied; shipcheck records the next with Flyway's checksum; an edited file is refused; U script undoes", async () => {
    const v1 = 'create table public.fw_items (id int primary key);\r\n';
    const v11 = '-- add a name\nalter table public.fw_items add column name text;\n';
    const directory = await folder({
      'V1__create_items.sql': v1,
      'V1_1__add_name.sql': v11,
      'U1_1__add_name.sql': 'alter table public.fw_items drop column name;\n',
    });
    // As Flyway left the database after `flyway migrate -target=1`.
    await db().query('create table public.fw_items (id int primary key)');
    await db().query(
      `create table public.flyway_schema_history (installed_rank integer not null, version varchar(50), description varchar(200) not null,
         type varchar(20) not null, script varchar(1000) not null, checksum integer, installed_by varchar(100) not null,
         installed_on timestamp not null default now(), execution_time integer not null, success boolean not null,
         constraint flyway_schema_history_pk primary key (installed_rank))`,
    );
    await db().query(
      `insert into public.flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       values (1, '1', 'create items', 'SQL', 'V1__create_items.sql', $1, 'postgres', 7, true)`,
      [flywayChecksum(v1.replaceAll('\r\n', '\n'))],
    );

    const outcome = await harness.run(
      migrateStep,
      { migration: '1.1', format: 'flyway', directory },
      { checklistDir: '/' },
    );
    expect(outcome.status, outcome.message).toBe('passed');
    expect(outcome.observed).toMatchObject({ applied: ['1.1'], already_applied: ['1'] });
    const rows = await db().query(
      'select installed_rank, version, description, type, script, checksum, success, execution_time >= 0 as timed from public.flyway_schema_history order by installed_rank',
    );
    expect(rows.rows[1]).toEqual({
      installed_rank: 2,
      version: '1.1',
      description: 'add name',
      type: 'SQL',
      script: 'V1_1__add_name.sql',
      checksum: flywayChecksum(v11),
      success: true,
      timed: true,
    });

    const undone = await harness.run(
      rollbackStep,
      { revert_migration: '1_1', format: 'flyway', migrations_dir: directory },
      { checklistDir: '/' },
    );
    expect(undone.status, undone.message).toBe('passed');
    const last = await db().query(
      'select version, type, script from public.flyway_schema_history order by installed_rank desc limit 1',
    );
    expect(last.rows[0]).toEqual({ version: '1.1', type: 'UNDO_SQL', script: 'U1.1__add_name.sql' });
    const column = await db().query(
      "select count(*)::int as n from information_schema.columns where table_name = 'fw_items' and column_name = 'name'",
    );
    expect(column.rows[0]?.n).toBe(0);

    // The applied V1 edited since: refused with the history's checksum named, nothing applied.
    await writeFile(join(directory, 'V1__create_items.sql'), 'create table public.fw_items (id bigint primary key);\n');
    await expect(
      harness.run(migrateStep, { migration: '1.1', format: 'flyway', directory }, { checklistDir: '/' }),
    ).rejects.toThrow(
      /V1__create_items was edited after it was applied \(checksum differs from public\.flyway_schema_history/,
    );
  });

  it("a migration failing part-way leaves no row in the tool's history and nothing of it; a failed Flyway row refuses the run", async () => {
    const supabase = await folder({
      '20250101000000_half.sql': 'create table public.sb_half (id int);\nselect 1/0;\n',
    });
    await expect(
      harness.run(
        migrateStep,
        { migration: '20250101000000', format: 'supabase', directory: supabase },
        { checklistDir: '/' },
      ),
    ).rejects.toThrow(/division by zero/);
    expect(
      (await db().query("select version from supabase_migrations.schema_migrations where version = '20250101000000'"))
        .rows,
    ).toEqual([]);
    expect((await db().query("select to_regclass('public.sb_half') as t")).rows).toEqual([{ t: null }]);

    const flyway = await folder({ 'V7__half.sql': 'create table public.fw_half (id int);\nselect 1/0;\n' });
    const before = (await db().query('select count(*)::int as n from public.flyway_schema_history')).rows[0]?.n;
    await expect(
      harness.run(migrateStep, { migration: '7', format: 'flyway', directory: flyway }, { checklistDir: '/' }),
    ).rejects.toThrow(/division by zero/);
    expect((await db().query('select count(*)::int as n from public.flyway_schema_history')).rows[0]?.n).toBe(before);
    // As Flyway leaves a failed migration on a database without transactional DDL: shipcheck refuses until it is repaired.
    await db().query(
      `insert into public.flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       select max(installed_rank) + 1, '6', 'broken', 'SQL', 'V6__broken.sql', 1, 'flyway', 3, false from public.flyway_schema_history`,
    );
    await expect(
      harness.run(migrateStep, { migration: '7', format: 'flyway', directory: flyway }, { checklistDir: '/' }),
    ).rejects.toThrow(
      'public.flyway_schema_history holds a failed migration (V6__broken.sql, version 6); repair it first (flyway repair)',
    );
    await db().query("delete from public.flyway_schema_history where version = '6'");
  });

  it('a rehearsal applies and records inside its transaction: after its rollback neither the table nor the row is there', async () => {
    const directory = await folder({ '20250201000000_rehearsed.sql': 'create table public.sb_rehearsed (id int);\n' });
    await db().withClient(async (client) => {
      await client.query('begin');
      const outcome = await harness.run(
        migrateStep,
        { migration: '20250201000000', format: 'supabase', directory },
        { checklistDir: '/', rehearsal: { client } },
      );
      expect(outcome.status, outcome.message).toBe('passed');
      const inside = await client.query(
        "select count(*)::int as n from supabase_migrations.schema_migrations where version = '20250201000000'",
      );
      expect(inside.rows[0]?.n).toBe(1);
      await client.query('rollback');
    });
    expect(
      (
        await db().query(
          "select count(*)::int as n from supabase_migrations.schema_migrations where version = '20250201000000'",
        )
      ).rows[0]?.n,
    ).toBe(0);
    expect((await db().query("select to_regclass('public.sb_rehearsed') as t")).rows).toEqual([{ t: null }]);
  });

  it('refuses, at run time, pending migrations before the target unless allow_earlier names them', async () => {
    const directory = await folder({
      '001_ae_one.sql': 'create table public.ae_one (id int);\n',
      '002_ae_two.sql': 'create table public.ae_two (id int);\n',
      '003_ae_three.sql': 'create table public.ae_three (id int);\n',
    });
    const spec = { migration: '003', directory, source: 'allow-earlier-test' };
    const refused = await harness.run(migrateStep, spec, { checklistDir: '/' });
    expect(refused.status).toBe('failed');
    expect(refused.message).toBe(
      'applying 003_ae_three would first apply 2 earlier pending migrations 001_ae_one, 002_ae_two; nothing was applied',
    );
    const nothing = await db().query("select to_regclass('public.ae_one') is null as none");
    expect(nothing.rows[0]?.none).toBe(true);
    const partly = await harness.run(migrateStep, { ...spec, allow_earlier: ['001'] }, { checklistDir: '/' });
    expect(partly.message).toMatch(/002_ae_two; nothing was applied$/);
    const allowed = await harness.run(
      migrateStep,
      { ...spec, allow_earlier: ['001', '002_ae_two'] },
      { checklistDir: '/' },
    );
    expect(allowed.status, allowed.message).toBe('passed');
    expect(allowed.observed).toMatchObject({ applied: ['001', '002', '003'] });
  });
});

describe('plan and load: problems named with their files', () => {
  it("the migrate step's preview lists unparseable names and the migrations up to the target, in order", async () => {
    const directory = await folder({
      'V1__a.sql': 'create table pv_a (id int);\n',
      'V2__b.sql': 'create table pv_b (id int);\n',
      'V3__c.sql': 'create table pv_c (id int);\n',
      'v4_typo.sql': 'select 1;\n',
    });
    const spec = migrateStep.schema.parse({ migration: '2', format: 'flyway', directory });
    const preview = await migrateStep.preview!(spec, { checklistDir: '/' });
    expect(preview.ok).toBe(false);
    expect(preview.lines[0]).toMatch(/^v4_typo\.sql: not a Flyway versioned migration name/);
    expect(preview.lines[1]).toBe(
      'applies, in order: V1__a.sql, V2__b.sql; pending ones among these are applied first (refused at run time unless allow_earlier allows them)',
    );
  });

  it('a checklist naming a folder with duplicate versions is refused at load, naming both files', async () => {
    const dir = await folder({
      'supabase/20240101120000_a.sql': 'select 1;\n',
      'supabase/20240101120000_b.sql': 'select 2;\n',
    });
    const text = deployChecklist(
      'formats',
      '      - { id: m, kind: migrate, title: Migrate, migration: "20240101120000", format: supabase, directory: supabase }',
      `  function_related:
    - { id: r, kind: rollback, title: Revert, revert_migration: "20240101120000", format: supabase, migrations_dir: supabase, scripts: { "20240101120000": { revert: "select 1;" } } }
  data_corruption:
    - { id: r2, kind: rollback, title: Revert again, revert_migration: "20240101120000", format: supabase, migrations_dir: supabase, scripts: { "20240101120000": { revert: "select 1;" } } }`,
    );
    const problemsOf = (checklist: string): string[] => {
      try {
        parseChecklist(checklist, join(dir, 'checklist.yaml'), defaultRegistry);
      } catch (error) {
        expect(error).toBeInstanceOf(ChecklistError);
        return (error as ChecklistError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(problemsOf(text)).toContain(
      'phases[0].steps[0].directory: two migrations share a version in supabase: version 20240101120000: 20240101120000_a.sql and 20240101120000_b.sql',
    );
    // A revert asked of a supabase migration that has none names the field to declare it in.
    await rm(join(dir, 'supabase', '20240101120000_b.sql'));
    expect(problemsOf(text)).toEqual([]);
    const undeclared = text.replace(', scripts: { "20240101120000": { revert: "select 1;" } }', '');
    expect(problemsOf(undeclared)).toEqual([
      "rollback.function_related[0].revert_migration: migration 20240101120000_a has no revert script (name one in the step's scripts.20240101120000.revert; no migration there has one)",
    ]);
  });

  it("steps inherit the checklist's migrations: block (format, directory, source); a step's own field wins", async () => {
    const dir = await folder({ 'supabase/20240101120000_a.sql': 'select 1;\n', 'own/001_x.sql': 'select 1;\n' });
    const text = deployChecklist(
      'formats-block',
      `      - { id: m, kind: migrate, title: Migrate, migration: "20240101120000" }
      - { id: o, kind: migrate, title: Own folder, migration: "001", format: shipcheck, directory: own }`,
      `  function_related:
    - { id: r, kind: rollback, title: Revert, revert_migration: "20240101120000", scripts: { "20240101120000": { revert: "select 1;" } } }
  data_corruption:
    - { id: r2, kind: rollback, title: Revert again, revert_migration: "20240101120000", scripts: { "20240101120000": { revert: "select 1;" } } }`,
      'migrations: { format: supabase, directory: supabase }\n',
    );
    const checklist = parseChecklist(text, join(dir, 'checklist.yaml'), defaultRegistry);
    const steps = [...checklist.phases[0]!.steps, ...checklist.rollback.function_related];
    expect(steps.map((s) => s.spec)).toMatchObject([
      { format: 'supabase', directory: 'supabase' },
      { format: 'shipcheck', directory: 'own' },
      { format: 'supabase', migrations_dir: 'supabase' },
    ]);
    expect(() =>
      parseChecklist(
        text.replace('format: supabase, directory: supabase', 'format: supabase, directory: nowhere'),
        join(dir, 'checklist.yaml'),
        defaultRegistry,
      ),
    ).toThrow(ChecklistError);
  });

  it('a shipcheck-format step keeps its id rule; plain requires files', () => {
    expect(() => migrateStep.schema.parse({ migration: '1.1' })).toThrow(/an id like/);
    expect(() => migrateStep.schema.parse({ migration: 'a', format: 'plain' })).toThrow(/files: \[a\.sql, b\.sql\]/);
    expect(() => migrateStep.schema.parse({ migration: '024', files: ['a.sql'] })).toThrow(
      /files is for format plain only/,
    );
  });
});

describe('shipcheck db baseline: adopting a database migrated by another tool', () => {
  function capture(): Output & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
  }
  const cli = (args: string[], output: Output, env: NodeJS.ProcessEnv) =>
    main(['node', 'shipcheck', ...args], output, env);

  it('checks what the files create, refuses when something is missing (nothing recorded), records without running, says what it could not check', async () => {
    const t = await freshDatabase({ migrateTo: 'none' });
    cleanups.push(() => t.drop());
    const directory = await folder({
      '20240101000000_base.sql':
        "create table public.bl_users (id int primary key);\ncreate index bl_users_idx on public.bl_users (id);\ncreate function public.bl_hello() returns int language sql as 'select 1';\nalter table public.bl_users add column name text;\n",
      '20240102000000_more.sql': 'create table public.bl_more (id int);\n',
      '20240103000000_new.sql': 'create table public.bl_new (id int);\n',
    });
    // Applied by hand, except 002's table.
    await t.db.query(
      "create table public.bl_users (id int primary key, name text); create index bl_users_idx on public.bl_users (id); create function public.bl_hello() returns int language sql as 'select 1'",
    );
    const env = { DATABASE_URL: t.url };
    const args = ['db', 'baseline', '--to', '20240102000000', '--format', 'supabase', '--directory', directory];

    const refused = capture();
    expect(await cli(args, refused, env)).toBe(1);
    expect(refused.stderr[0]).toBe(
      'shipcheck: baseline refused, nothing recorded: table public.bl_more (created by 20240102000000_more) does not exist on the target',
    );
    expect((await t.db.query('select version from supabase_migrations.schema_migrations')).rows).toEqual([]);

    await t.db.query('create table public.bl_more (id int)');
    const done = capture();
    expect(await cli(args, done, env)).toBe(0);
    expect(done.stdout).toEqual([
      'recorded as applied in supabase_migrations.schema_migrations, without running them: 20240101000000, 20240102000000',
      'checked present: table public.bl_users, index public.bl_users_idx, function public.bl_hello, table public.bl_more',
      'could not check (not an object it creates): 20240101000000_base line 4: AlterTableStmt',
    ]);
    const rows = await t.db.query('select version, name from supabase_migrations.schema_migrations order by version');
    expect(rows.rows).toEqual([
      { version: '20240101000000', name: 'base' },
      { version: '20240102000000', name: 'more' },
    ]);

    // The next migration is now the only pending one: applied alone, and the earlier ones were never run.
    const migrated = capture();
    expect(await cli(['db', 'migrate', '--format', 'supabase', '--directory', directory], migrated, env)).toBe(0);
    expect(migrated.stdout).toEqual(['applied 20240103000000', '1 applied, 2 already applied']);
    const status = capture();
    expect(await cli(['db', 'status', '--format', 'supabase', '--directory', directory], status, env)).toBe(0);
    expect(status.stdout).toEqual([
      '20240101000000  20240101000000_base  applied',
      '20240102000000  20240102000000_more  applied',
      '20240103000000  20240103000000_new  applied',
    ]);
  });

  it("db migrate --directory records a team's folder under its own source, never as Shield's", async () => {
    const t = await freshDatabase({ migrateTo: 'none' });
    cleanups.push(() => t.drop());
    const directory = await folder({ '001_team_init.sql': 'create table public.team_init (id int);\n' });
    const out = capture();
    expect(await cli(['db', 'migrate', '--directory', directory], out, { DATABASE_URL: t.url })).toBe(0);
    expect((await migrationStatus(t.db, directory)).map((m) => m.name)).toEqual(['001_team_init']);
    expect(await migrationStatus(t.db)).toEqual([]);
  });
});
