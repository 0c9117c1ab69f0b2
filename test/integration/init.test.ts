import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadChecklist } from '../../src/checklist/loader.js';
import { placeholderPrefix } from '../../src/checklist/placeholders.js';
import { ChecklistError } from '../../src/checklist/problems.js';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { UsageError } from '../../src/errors.js';
import { initChecklist, type InitResult } from '../../src/init/init.js';
import { contractStep } from '../../src/steps/contract.js';
import { defaultRegistry } from '../../src/steps/registry.js';
import { type StepHarness, stepHarness } from '../support/stepContext.js';

// A Supabase-format folder with the classic faults of a SECURITY DEFINER function:
// EXECUTE left to PUBLIC (never revoked) and no pinned search_path.
const notesTable = `create table public.notes (
  id uuid primary key default gen_random_uuid(),
  body text not null,
  likes int not null default 0
);
`;
const likeFunction = `alter table public.notes add column liked_at timestamptz;
create index notes_liked_at on public.notes (liked_at);

create function public.like_note(p_note_id uuid, p_by int)
returns jsonb
language plpgsql
security definer
as $$
begin
  update public.notes set likes = likes + p_by, liked_at = now() where id = p_note_id;
  return jsonb_build_object('id', p_note_id);
end;
$$;

grant execute on function public.like_note(uuid, int) to authenticated;
`;

let dir: string;
let harness: StepHarness;
let result: InitResult;
let out: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipcheck-init-'));
  await mkdir(join(dir, 'supabase/migrations'), { recursive: true });
  await writeFile(join(dir, 'supabase/migrations/20240101000000_notes.sql'), notesTable);
  await writeFile(join(dir, 'supabase/migrations/20240102000000_like_note.sql'), likeFunction);
  harness = await stepHarness({ migrateTo: 'none' });
  out = join(dir, 'like_note.yaml');
  result = await initChecklist({
    migrationFile: join(dir, 'supabase/migrations/20240102000000_like_note.sql'),
    out,
    databaseUrl: harness.database.url,
    applyEarlier: true,
  });
});

afterAll(async () => {
  await harness?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('shipcheck init', () => {
  it('reads what the migration created from the catalogs, and keeps nothing of it', async () => {
    expect(result.format).toBe('supabase');
    expect(result.found.join('\n')).toMatch(
      /created function public.like_note\(uuid,integer\).*security definer, search_path not pinned, EXECUTE: .*PUBLIC/,
    );
    expect(result.found).toContain('created column public.notes.liked_at');
    expect(result.found).toContain('created index public.notes_liked_at');
    // Rolled back: the earlier migration's table is not there either.
    const { rows } = await harness.database.db.query("select to_regclass('public.notes') as t");
    expect(rows[0]?.t).toBeNull();
  });

  it('writes a 0644 checklist in five phases, and never overwrites it', async () => {
    expect((await stat(out)).mode & 0o777).toBe(0o644);
    const written = parse(await readFile(out, 'utf8'));
    expect(written.phases.map((p: { id: string }) => p.id)).toEqual([
      'staging-deploy',
      'staging-monitoring',
      'approval',
      'production-deploy',
      'merge',
    ]);
    const revert = written.rollback.function_related[0].scripts['20240102000000'].revert as string;
    // Reverse creation order, the column on the table that stays last; the table is not the migration's.
    expect(revert.split('\n').filter(Boolean)).toEqual([
      'drop function if exists public.like_note(uuid,integer);',
      'drop index if exists public.notes_liked_at;',
      'alter table public.notes drop column if exists liked_at;',
    ]);
    const again = initChecklist({ migrationFile: join(dir, 'supabase/migrations/20240102000000_like_note.sql'), out });
    await expect(again).rejects.toBeInstanceOf(UsageError);
    await expect(again).rejects.toMatchObject({ code: 'init_out_exists', exitCode: 2 });
  });

  it('is refused by the loader, naming each placeholder with its line, until every one is replaced', async () => {
    const error = await loadChecklist(out, defaultRegistry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecklistError);
    const problems = (error as ChecklistError).problems;
    expect(problems.length).toBe(result.todo.length);
    expect(problems[0]?.message).toMatch(
      /placeholder left by shipcheck init, replace it: TODO\(init\): a uuid for p_note_id/,
    );
    expect(problems[0]?.line).toBeGreaterThan(1);

    const filled = replacePlaceholders(parse(await readFile(out, 'utf8')));
    const done = join(dir, 'like_note.filled.yaml');
    await writeFile(done, stringify(filled));
    const checklist = await loadChecklist(done, defaultRegistry);
    expect(checklist.phases).toHaveLength(5);
  });

  it('writes a contract step that fails on the faulty function: EXECUTE to PUBLIC, no pinned search_path', async () => {
    for (const file of ['20240101000000_notes.sql', '20240102000000_like_note.sql'])
      await harness.database.db.query(await readFile(join(dir, 'supabase/migrations', file), 'utf8'));
    const written = parse(await readFile(out, 'utf8'));
    const step = written.phases[0].steps.find((s: { id: string }) => s.id === 'staging-contract-like_note');
    const { id, kind, title, on_fail, ...spec } = step;
    expect(spec.grants).toEqual({ allowed: ['authenticated'], denied: ['PUBLIC', 'anon'] });
    const outcome = await harness.run(contractStep, spec, { step: { id } });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/PUBLIC/);
    expect(outcome.message).toMatch(/search_path/);
  });
});

describe('shipcheck init on a migration that changes what exists', () => {
  it('writes a revert that starts with a TODO(init) naming the changed function, refused until written', async () => {
    const fresh = await stepHarness({ migrateTo: 'none' });
    try {
      await writeFile(
        join(dir, 'supabase/migrations/20240103000000_pin_like_note.sql'),
        likeFunction
          .replace(/^alter table.*\n|^create index.*\n/gm, '')
          .replace('create function', 'create or replace function')
          .replace('security definer', 'security definer set search_path = public, pg_temp'),
      );
      const changedOut = join(dir, 'pin.yaml');
      const changed = await initChecklist({
        migrationFile: join(dir, 'supabase/migrations/20240103000000_pin_like_note.sql'),
        out: changedOut,
        databaseUrl: fresh.database.url,
        applyEarlier: true,
      });
      expect(changed.found.join('\n')).toMatch(
        /changed function public\.like_note\(uuid,integer\).*search_path=public, pg_temp/,
      );
      const written = parse(await readFile(changedOut, 'utf8'));
      const revert = written.rollback.function_related[0].scripts['20240103000000'].revert as string;
      expect(revert).toMatch(
        /^TODO\(init\): restore what the migration changed or dropped: function public\.like_note\(uuid,integer\) \(changed\); then remove this line$/m,
      );
      expect(revert).not.toMatch(/drop function/);
      const error = (await loadChecklist(changedOut, defaultRegistry).catch((e: unknown) => e)) as ChecklistError;
      expect(error).toBeInstanceOf(ChecklistError);
      expect(error.problems.map((p) => p.path)).toContain('rollback.function_related[0].scripts.20240103000000.revert');
    } finally {
      await fresh.close();
      await rm(join(dir, 'supabase/migrations/20240103000000_pin_like_note.sql'));
    }
  });
});

describe('the generated revert', () => {
  it('drops in reverse creation order, so objects that depend on each other both ways go, and runs clean', async () => {
    const fresh = await stepHarness({ migrateTo: 'none' });
    const plainDir = await mkdtemp(join(tmpdir(), 'shipcheck-init-deps-'));
    try {
      // A table whose default calls a function created before it, and a function returning the table's rows after it.
      const sql = `create function public.next_code() returns text language sql as $$ select md5(random()::text) $$;
create table public.codes (code text primary key default public.next_code());
create function public.all_codes() returns setof public.codes language sql set search_path = pg_catalog, pg_temp as $$ select * from public.codes $$;
`;
      await writeFile(join(plainDir, 'codes.sql'), sql);
      const depsOut = join(plainDir, 'codes.yaml');
      await initChecklist({
        migrationFile: join(plainDir, 'codes.sql'),
        format: 'plain',
        out: depsOut,
        databaseUrl: fresh.database.url,
      });
      const written = parse(await readFile(depsOut, 'utf8'));
      const revert = written.rollback.function_related[0].scripts.codes.revert as string;
      expect(revert.split('\n').filter(Boolean)).toEqual([
        'drop function if exists public.all_codes();',
        'drop table if exists public.codes;',
        'drop function if exists public.next_code();',
      ]);
      await fresh.database.db.query(sql);
      await fresh.database.db.query(revert);
      const { rows } = await fresh.database.db.query(
        "select to_regclass('public.codes') as t, to_regprocedure('public.next_code()') as f, to_regprocedure('public.all_codes()') as g",
      );
      expect(rows[0]).toEqual({ t: null, f: null, g: null });
    } finally {
      await fresh.close();
      await rm(plainDir, { recursive: true, force: true });
    }
  });
});

describe('shipcheck init on migrations it cannot inspect', () => {
  it.each([
    [
      'a COMMIT of its own',
      'create table public.c1 (id int);\ncommit;\n',
      /x\.sql:2: transaction control \(BEGIN\/COMMIT\) cannot run inside the transaction/,
    ],
    [
      'CREATE INDEX CONCURRENTLY',
      'create index concurrently i1 on public.notes (body);\n',
      /x\.sql:1: CREATE INDEX CONCURRENTLY cannot run inside/,
    ],
    [
      'an error',
      'alter table public.missing add column x int;\n',
      /failed while shipcheck init applied it: relation "public\.missing" does not exist/,
    ],
  ])('refuses a migration with %s: one clear sentence, nothing written, nothing kept', async (_, sql, message) => {
    const plainDir = await mkdtemp(join(tmpdir(), 'shipcheck-init-bad-'));
    try {
      await writeFile(join(plainDir, 'x.sql'), sql);
      const badOut = join(plainDir, 'x.yaml');
      const error = await initChecklist({
        migrationFile: join(plainDir, 'x.sql'),
        format: 'plain',
        out: badOut,
        databaseUrl: harness.database.url,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toMatch(message);
      await expect(stat(badOut)).rejects.toMatchObject({ code: 'ENOENT' });
      const { rows } = await harness.database.db.query("select to_regclass('public.c1') as t");
      expect(rows[0]?.t).toBeNull();
    } finally {
      await rm(plainDir, { recursive: true, force: true });
    }
  });
});

describe('shipcheck init (command line)', () => {
  it('inspects on a throw-away embedded PostgreSQL, prints what it found and what to fill in; exit 2 on an existing --out', async () => {
    const lines: string[] = [];
    const output: Output = { out: (line) => lines.push(line), err: (line) => lines.push(line) };
    const migration = join(dir, 'supabase/migrations/20240102000000_like_note.sql');
    const cliOut = join(dir, 'cli.yaml');
    const code = await main(['node', 'shipcheck', 'init', migration, '--out', cliOut], output, {});
    expect(code, lines.join('\n')).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/created function public.like_note\(uuid,integer\).*search_path not pinned/);
    expect(text).toMatch(/to fill in before shipcheck plan accepts it/);
    expect(text).toMatch(/- a uuid for p_note_id/);
    const again: string[] = [];
    const refused = await main(
      ['node', 'shipcheck', 'init', migration, '--out', cliOut],
      { out: (line) => again.push(line), err: (line) => again.push(line) },
      {},
    );
    expect(refused).toBe(2);
    expect(again.join('\n')).toMatch(/exists; shipcheck init never overwrites a checklist/);
  }, 120_000);
});

function replacePlaceholders(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith(placeholderPrefix) ? '1' : value;
  if (Array.isArray(value)) return value.map(replacePlaceholders);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replacePlaceholders(v)]));
  return value;
}
