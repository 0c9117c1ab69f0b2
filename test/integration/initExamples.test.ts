import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { initChecklist } from '../../src/init/init.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

// The examples/ projects as a newcomer uses them: init writes the checklist, plan refuses it
// until the placeholders are filled, then plans it (running the lint it can run without a database).
let work: string;
let database: TestDatabase;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'shipcheck-examples-'));
  await cp(join(process.cwd(), 'examples'), work, { recursive: true });
  database = await freshDatabase({ migrateTo: 'none' });
});

afterAll(async () => {
  await database?.drop();
  await rm(work, { recursive: true, force: true });
});

async function shipcheck(...args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const sink = (line: string) => lines.push(line);
  const code = await main(
    ['node', 'shipcheck', ...args],
    { out: sink, err: sink },
    { STAGING_DATABASE_URL: database.url },
  );
  return { code, text: lines.join('\n') };
}

async function initThenFill(project: string, migration: string, value: string) {
  const out = join(work, project, 'checklist.yaml');
  const result = await initChecklist({
    migrationFile: join(work, project, migration),
    out,
    databaseUrl: database.url,
    applyEarlier: true,
  });
  const state = join(work, project, '.shipcheck');
  const refused = await shipcheck('plan', out, '--env', 'staging', '--state-dir', state);
  const text = await readFile(out, 'utf8');
  await writeFile(out, text.replace(/"TODO\(init\)[^"\n]*"/g, JSON.stringify(value)));
  const planned = await shipcheck('plan', out, '--env', 'staging', '--state-dir', state);
  return { result, refused, planned };
}

describe('examples/', () => {
  it('supabase-project: init finds the faulty definer function; plan refuses the TODOs, then its lint names the missing search_path', async () => {
    const { result, refused, planned } = await initThenFill(
      'supabase-project',
      'supabase/migrations/20250102090000_complete_task.sql',
      '00000000-0000-0000-0000-000000000001',
    );
    expect(result.format).toBe('supabase');
    expect(result.found.join('\n')).toMatch(
      /public\.complete_task\(uuid\).*security definer, search_path not pinned, EXECUTE: PUBLIC, authenticated/,
    );
    expect(refused.code).toBe(2);
    expect(refused.text).toMatch(/checklist\.yaml:\d+:\d+ .*placeholder left by shipcheck init.*p_task_id/);
    expect(planned.code, planned.text).toBe(1);
    expect(planned.text).toMatch(
      /function-search-path: SECURITY DEFINER function public\.complete_task sets no search_path/,
    );
  });

  it('supabase-project: the rehearsal on staging fails at the contract naming PUBLIC, anon and search_path; the fixed migration rehearses through, its generated revert included', async () => {
    const out = join(work, 'supabase-project/checklist.yaml');
    // On a staging database without the earlier migration, and with the lint findings as warnings, to reach the contract.
    const text = (await readFile(out, 'utf8'))
      .replace(/^(\s*)migration: "20250102090000"$/gm, '$1migration: "20250102090000"\n$1allow_earlier: true')
      .replace(/^(\s*)- id: staging-lint$/m, '$1- id: staging-lint\n$1  on_fail: warn');
    await writeFile(out, text);
    const state = join(work, 'supabase-project/.shipcheck');
    const faulty = await shipcheck('run', out, '--env', 'staging', '--rehearse', '--state-dir', state);
    expect(faulty.code, faulty.text).toBe(1);
    expect(faulty.text).toMatch(
      /staging-contract-complete_task .*failed: public\.complete_task: search_path pinned is not pinned/,
    );
    expect(faulty.text).toMatch(/EXECUTE for PUBLIC is granted \(expected denied\); EXECUTE for anon is granted/);

    const migration = join(work, 'supabase-project/supabase/migrations/20250102090000_complete_task.sql');
    const fixed = (await readFile(migration, 'utf8')).replace(
      /^security definer$/m,
      'security definer\nset search_path = public, pg_temp',
    );
    await writeFile(migration, `${fixed}revoke execute on function public.complete_task(uuid) from public, anon;\n`);
    const passed = await shipcheck('run', out, '--env', 'staging', '--rehearse', '--state-dir', state);
    // 8: passed with warnings (the lint findings left as warnings above).
    expect(passed.code, passed.text).toBe(8);
    expect(passed.text).toMatch(/complete_task\(uuid\) meets its contract/);
    expect(passed.text).toMatch(
      /Revert migration 20250102090000_complete_task .*reverted 20250102090000_complete_task/,
    );
    expect(passed.text).toMatch(/rehearsal passed/);
  });

  it('flyway-project: init keeps the folder’s own U2 undo script; plan accepts the filled checklist', async () => {
    const { result, refused, planned } = await initThenFill('flyway-project', 'sql/V2__add_transfer.sql', '1');
    expect(result.format).toBe('flyway');
    expect(result.found).toContain('created table public.transfers');
    expect(refused.code).toBe(2);
    expect(planned.code, planned.text).toBe(0);
    expect(planned.text).toMatch(/applies, in order: V1__create_accounts\.sql, V2__add_transfer\.sql/);
    const written = await readFile(join(work, 'flyway-project/checklist.yaml'), 'utf8');
    expect(written).not.toMatch(/scripts:/);
  });

  // The two full deployments have databases and folders of their own, and mostly wait on monitor windows.
  it.concurrent('supabase-project, fixed: its init-written checklist passes all five phases for real on staging and production, and the gate opens', async () => {
    const project = await mkdtemp(join(tmpdir(), 'shipcheck-example-full-'));
    const staging = await freshDatabase({ migrateTo: 'none' });
    const production = await freshDatabase({ migrateTo: 'none' });
    try {
      await cp(join(process.cwd(), 'examples/supabase-project'), project, { recursive: true });
      const migrations = join(project, 'supabase/migrations');
      const migration = join(migrations, '20250102090000_complete_task.sql');
      // The fix the rehearsal asked for, plus what the lint asks of any migration on a live table.
      const fixed = (await readFile(migration, 'utf8'))
        .replace(/^security definer$/m, 'security definer\nset search_path = public, pg_temp')
        .replace(
          /^alter table public\.tasks add column/m,
          "set lock_timeout = '2s';\nalter table public.tasks add column",
        )
        .replace(
          /^create index tasks_completed_at/m,
          '-- shipcheck-lint allow require-concurrent-index-creation: tasks is created empty by the release before\ncreate index tasks_completed_at',
        );
      await writeFile(migration, `${fixed}revoke execute on function public.complete_task(uuid) from public, anon;\n`);
      const out = join(project, 'checklist.yaml');
      await initChecklist({ migrationFile: migration, out, databaseUrl: database.url, applyEarlier: true });
      // The placeholders filled, the monitors' windows shortened for a test.
      const text = shortened(await readFile(out, 'utf8')).replace(
        /"TODO\(init\)[^"\n]*"/g,
        '"00000000-0000-0000-0000-000000000001"',
      );
      await writeFile(out, text);

      await adopt(staging, 'supabase', migrations, '20250101090000');
      await adopt(production, 'supabase', migrations, '20250101090000');
      await deployThroughFivePhases(out, join(project, '.shipcheck'), staging, production);
      // Recorded where the Supabase CLI reads it.
      const { rows } = await production.db.query(
        'select version, name from supabase_migrations.schema_migrations order by version',
      );
      expect(rows).toEqual([
        { version: '20250101090000', name: 'create_projects' },
        { version: '20250102090000', name: 'complete_task' },
      ]);
    } finally {
      await staging.drop();
      await production.drop();
      await rm(project, { recursive: true, force: true });
    }
  });

  it.concurrent("flyway-project: its init-written checklist, with smoke-test data of its own, passes all five phases, recorded in flyway_schema_history with Flyway's checksums", async () => {
    const project = await mkdtemp(join(tmpdir(), 'shipcheck-example-flyway-'));
    const staging = await freshDatabase({ migrateTo: 'none' });
    const production = await freshDatabase({ migrateTo: 'none' });
    try {
      await cp(join(process.cwd(), 'examples/flyway-project'), project, { recursive: true });
      const sql = join(project, 'sql');
      const out = join(project, 'checklist.yaml');
      await initChecklist({
        migrationFile: join(sql, 'V2__add_transfer.sql'),
        out,
        databaseUrl: database.url,
        applyEarlier: true,
      });
      // The smoke test needs accounts: two of its own, made afresh before each call (rpc reset:).
      const text = shortened(await readFile(out, 'utf8'))
        .replace(/"TODO\(init\)[^"\n]*"/g, '"1"')
        .replace(
          /( {8}kind: rpc\n {8}title: [^\n]*\n {8}function: public\.transfer\n)/g,
          `$1        reset:
          - delete from public.transfers where from_account in (900001, 900002)
          - delete from public.accounts where id in (900001, 900002)
          - insert into public.accounts (id, owner, balance) overriding system value values (900001, 'a', 10), (900002, 'b', 0)
`,
        )
        .replace(/( {10}- )"1"\n {10}- "1"\n/g, '$1"900001"\n          - "900002"\n');
      await writeFile(out, text);
      await adopt(staging, 'flyway', sql, '1');
      await adopt(production, 'flyway', sql, '1');
      await deployThroughFivePhases(out, join(project, '.shipcheck'), staging, production);
      const { rows } = await production.db.query(
        'select version, description, type, script, success from flyway_schema_history order by installed_rank',
      );
      expect(rows).toEqual([
        { version: '1', description: 'create accounts', type: 'SQL', script: 'V1__create_accounts.sql', success: true },
        { version: '2', description: 'add transfer', type: 'SQL', script: 'V2__add_transfer.sql', success: true },
      ]);
    } finally {
      await staging.drop();
      await production.drop();
      await rm(project, { recursive: true, force: true });
    }
  });
});

/** The monitors' windows shortened for a test. */
function shortened(text: string): string {
  return text.replace(/duration: \d+m/g, 'duration: 2s').replace(/interval: \d+s/g, 'interval: 1s');
}

/** A database at the release before, as the team's tool left it: the earlier migrations recorded in its history. */
async function adopt(target: TestDatabase, format: string, directory: string, to: string): Promise<void> {
  const lines: string[] = [];
  const sink = (line: string) => lines.push(line);
  const code = await main(
    ['node', 'shipcheck', 'db', 'migrate', '--format', format, '--directory', directory, '--to', to],
    { out: sink, err: sink },
    { DATABASE_URL: target.url },
  );
  expect(code, lines.join('\n')).toBe(0);
}

/** Staging (waits for the PO), the sign-off, production (waits for the reviewer), the sign-off, the deploy gate. */
async function deployThroughFivePhases(out: string, state: string, staging: TestDatabase, production: TestDatabase) {
  const env = { STAGING_DATABASE_URL: staging.url, PRODUCTION_DATABASE_URL: production.url };
  const cli = async (...args: string[]) => {
    const lines: string[] = [];
    const sink = (line: string) => lines.push(line);
    const code = await main(['node', 'shipcheck', ...args, '--state-dir', state], { out: sink, err: sink }, env);
    return { code, text: lines.join('\n') };
  };
  const runId = (text: string) => /run (\d{8}-\d{6}-[a-z]+-[0-9a-f]{4})/.exec(text)?.[1];
  for (const [environment, approver] of [
    ['staging', 'Jane PO'],
    ['production', 'Rita Reviewer'],
  ] as const) {
    const waits = await cli('run', out, '--env', environment);
    expect(waits.code, waits.text).toBe(3);
    expect((await cli('approve', runId(waits.text)!, '--by', approver, '--decision', 'approved')).code).toBe(0);
    const done = await cli('run', out, '--env', environment);
    expect(done.code, done.text).toBe(0);
  }
  const gate = await cli('gate', out, '--env', 'production', '--require', 'deployed');
  expect(gate.code, gate.text).toBe(0);
  expect((await cli('status')).text).toMatch(/Overall Progress:\*\* 100% \(5\/5 phases complete\)/);
}
