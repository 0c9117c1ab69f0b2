import { describe, expect, it } from 'vitest';
import { lintSql } from '../../../src/lint/lintSql.js';
import { lintRules } from '../../../src/lint/rules/index.js';

async function rulesFlagged(sql: string, options: { pgVersion?: number } = {}): Promise<string[]> {
  const report = await lintSql(sql, 'm.sql', options);
  return report.findings.map((f) => f.rule);
}

// Each rule: a statement it must flag and the safe rewrite it must let through. The
// migrations set lock_timeout first so that require-timeout-settings stays out of the way.
const timeout = "set lock_timeout = '2s';\n";
const cases: { rule: string; unsafe: string; safe: string }[] = [
  {
    rule: 'require-concurrent-index-creation',
    unsafe: 'create index i on t (a);',
    safe: 'create index concurrently if not exists i on t (a);',
  },
  { rule: 'require-concurrent-index-deletion', unsafe: 'drop index i;', safe: 'drop index concurrently if exists i;' },
  {
    rule: 'constraint-missing-not-valid',
    unsafe: 'alter table t add constraint fk foreign key (a) references u (id);',
    safe: 'alter table t add constraint fk foreign key (a) references u (id) not valid;\nalter table t validate constraint fk;',
  },
  {
    rule: 'constraint-missing-not-valid',
    unsafe: 'alter table t add constraint c check (a > 0);',
    safe: 'alter table t add constraint c check (a > 0) not valid;',
  },
  {
    rule: 'adding-unique-or-primary-key-constraint',
    unsafe: 'alter table t add constraint p primary key (id);',
    safe: 'alter table t add constraint p primary key using index p_idx;',
  },
  {
    rule: 'setting-not-nullable-field',
    unsafe: 'alter table t alter column a set not null;',
    safe: 'alter table t add constraint a_nn check (a is not null) not valid;',
  },
  {
    rule: 'changing-column-type',
    unsafe: 'alter table t alter column a type bigint;',
    safe: 'alter table t add column a_big bigint;',
  },
  {
    rule: 'adding-field-with-default',
    unsafe: 'alter table t add column id2 uuid default gen_random_uuid();',
    safe: "alter table t add column created_at timestamptz default now();\nalter table t add column kind text default 'x';",
  },
  { rule: 'renaming-column', unsafe: 'alter table t rename column a to b;', safe: 'alter table t add column b int;' },
  { rule: 'renaming-table', unsafe: 'alter table t rename to u;', safe: 'create table u (id int);' },
  { rule: 'ban-drop-column', unsafe: 'alter table t drop column a;', safe: 'comment on column t.a is $$unused$$;' },
  { rule: 'ban-drop-table', unsafe: 'drop table t;', safe: 'drop view v;' },
  {
    rule: 'adding-required-field',
    unsafe: 'alter table t add column a int not null;',
    safe: 'alter table t add column a int not null default 0;',
  },
  { rule: 'transaction-control', unsafe: 'begin;\nselect 1;\ncommit;', safe: 'select 1;' },
  {
    rule: 'non-transactional-mixed',
    unsafe: 'create table if not exists n (id int);\ncreate index concurrently if not exists i on t (a);',
    safe: 'create index concurrently if not exists i on t (a);',
  },
  {
    rule: 'function-search-path',
    unsafe:
      'create function f() returns int language sql as $$ select 1 $$;\nrevoke execute on function f() from public;',
    safe: 'create function f() returns int language sql set search_path = pg_catalog, pg_temp as $$ select 1 $$;\nrevoke execute on function f() from public;',
  },
  {
    rule: 'function-search-path-pg-temp-last',
    unsafe:
      'create function f() returns int language sql security definer set search_path = pg_catalog, public as $$ select 1 $$;\nrevoke execute on function f() from public;',
    safe: 'create function f() returns int language sql security definer set search_path = pg_catalog, public, pg_temp as $$ select 1 $$;\nrevoke execute on function f() from public;',
  },
  {
    rule: 'function-execute-public',
    unsafe: 'create function f() returns int language sql set search_path = pg_catalog, pg_temp as $$ select 1 $$;',
    safe: 'create function f() returns int language sql set search_path = pg_catalog, pg_temp as $$ select 1 $$;\nrevoke all on function f() from public;',
  },
  {
    rule: 'grant-execute-to-public',
    unsafe: 'grant execute on function f() to anon;',
    safe: 'grant execute on function f() to authenticated;',
  },
];

describe('lint rules on the parse tree', () => {
  it.each(cases)('$rule flags the unsafe statement and passes its rewrite', async ({ rule, unsafe, safe }) => {
    expect(await rulesFlagged(timeout + unsafe)).toContain(rule);
    expect(await rulesFlagged(timeout + safe)).not.toContain(rule);
  });

  it('covers every rule with a case, and every rule names why and the rewrite', () => {
    const covered = new Set([...cases.map((c) => c.rule), 'require-timeout-settings', 'prefer-robust-stmts']);
    for (const rule of lintRules) {
      expect(covered, rule.id).toContain(rule.id);
      expect(rule.why.length, rule.id).toBeGreaterThan(20);
      expect(rule.rewrite.length, rule.id).toBeGreaterThan(10);
    }
  });

  it('require-timeout-settings: a lock on an existing table without lock_timeout, once per file', async () => {
    const findings = (await lintSql('alter table t add column a int;\nalter table t add column b int;', 'm.sql'))
      .findings;
    expect(findings.filter((f) => f.rule === 'require-timeout-settings').map((f) => f.line)).toEqual([1]);
    expect(await rulesFlagged("set lock_timeout = '1s';\nalter table t add column a int;")).toEqual([]);
  });

  it('prefer-robust-stmts only where the migration runs outside a transaction', async () => {
    expect(await rulesFlagged(`${timeout}create index concurrently i on t (a);`)).toContain('prefer-robust-stmts');
    expect(await rulesFlagged(`${timeout}create table n (id int);`)).not.toContain('prefer-robust-stmts');
  });

  it('changes to a table created earlier in the same migration lock nobody out', async () => {
    const sql =
      'create table public.n (id int);\ncreate index n_idx on n (id);\nalter table public.n add constraint p primary key (id);';
    expect(await rulesFlagged(sql)).toEqual([]);
  });

  it('any column default rewrites the table before PostgreSQL 11', async () => {
    const sql = `${timeout}alter table t add column k text default 'x';`;
    expect(await rulesFlagged(sql, { pgVersion: 10 })).toContain('adding-field-with-default');
    expect(await rulesFlagged(sql, { pgVersion: 15 })).not.toContain('adding-field-with-default');
  });

  it('reports file, line and column of the statement, the why and the rewrite', async () => {
    const sql = "-- widen\nset lock_timeout = '2s';\n\n  create index i on t (a);\n";
    const [finding] = (await lintSql(sql, 'db/x.sql')).findings;
    expect(finding).toMatchObject({
      rule: 'require-concurrent-index-creation',
      file: 'db/x.sql',
      line: 4,
      column: 3,
      statement: 'create index i on t (a)',
    });
    expect(finding?.rewrite).toMatch(/CONCURRENTLY/);
  });

  it('counts lines in bytes correctly after multi-byte characters', async () => {
    const sql = "set lock_timeout = '2s';\ncomment on table t is 'Ünïcødé ✓';\ncreate index i on t (a);";
    expect((await lintSql(sql, 'm.sql')).findings[0]).toMatchObject({ line: 3, column: 1 });
  });

  it('does not split on semicolons inside dollar quotes or strings', async () => {
    const sql =
      'create function f() returns int language plpgsql set search_path = pg_catalog, pg_temp as $$ begin; alter table t drop column a; return 1; end $$;\nrevoke execute on function f() from public;';
    const report = await lintSql(sql, 'm.sql');
    expect(report.statements).toBe(2);
    expect(report.findings).toEqual([]);
  });
});

describe('waivers', () => {
  it('a waiver with a reason silences one rule on one statement and is listed', async () => {
    const sql = `${timeout}-- shipcheck-lint allow require-concurrent-index-creation: t is created empty by 023\ncreate index i on t (a);\ncreate index j on t (b);`;
    const report = await lintSql(sql, 'm.sql');
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([['require-concurrent-index-creation', 4]]);
    expect(report.waived).toEqual([
      expect.objectContaining({
        rule: 'require-concurrent-index-creation',
        line: 3,
        reason: 't is created empty by 023',
      }),
    ]);
  });

  it('a waiver without a reason or for an unknown rule waives nothing and is itself a finding', async () => {
    const noReason = await lintSql(
      `${timeout}-- shipcheck-lint allow require-concurrent-index-creation\ncreate index i on t (a);`,
      'm.sql',
    );
    expect(noReason.findings.map((f) => f.rule).sort()).toEqual([
      'invalid-waiver',
      'require-concurrent-index-creation',
    ]);
    const unknown = await lintSql(`${timeout}-- shipcheck-lint allow no-such-rule: because\nselect 1;`, 'm.sql');
    expect(unknown.findings[0]?.message).toMatch(/no known rule: no-such-rule/);
  });

  it('disable turns a rule off for the whole file', async () => {
    const report = await lintSql('drop table t;', 'm.sql', { disable: ['ban-drop-table', 'require-timeout-settings'] });
    expect(report.findings).toEqual([]);
  });
});

describe('bad input', () => {
  it('SQL the parser refuses is a usage error naming file, line and column', async () => {
    await expect(lintSql('select 1;\ncreate tabel t (a int);', 'bad.sql')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^bad\.sql:2:\d+: PostgreSQL's parser refused it: syntax error/),
    });
  });

  it('an empty file has nothing to report', async () => {
    expect(await lintSql('-- nothing yet\n', 'empty.sql')).toMatchObject({ statements: 0, findings: [] });
  });
});

describe('docs/lint.md', () => {
  it('lists every rule', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/lint.md', import.meta.url), 'utf8');
    for (const rule of lintRules) expect(doc, rule.id).toContain(`| \`${rule.id}\` |`);
  });
});
