import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { lintStep } from '../../src/steps/lint.js';
import { type StepHarness, stepHarness } from '../support/stepContext.js';
import { checklistYaml, workspace } from './engineSupport.js';

const fixtures = fileURLToPath(new URL('../fixtures/lint/', import.meta.url));
const unsafe = `${fixtures}migrations/001_widen_events.sql`;
const safe = `${fixtures}migrations/002_widen_events_safely.sql`;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'shipcheck', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('shipcheck lint', () => {
  it('exits 1 naming each fault with file:line, why and the rewrite', async () => {
    const { code, out } = await cli(['lint', unsafe]);
    expect(code).toBe(1);
    expect(out).toContain(`${unsafe}:2:1 require-concurrent-index-creation`);
    expect(out).toContain(`${unsafe}:3:1 constraint-missing-not-valid`);
    expect(out).toContain(`${unsafe}:4:1 setting-not-nullable-field`);
    expect(out).toMatch(/instead: CREATE INDEX CONCURRENTLY/);
    expect(out).toMatch(/✖ \d+ finding\(s\) in 1 file\(s\), 3 statement\(s\)/);
  });

  it('exits 0 on the safe rewrite and lists its waiver with the reason', async () => {
    const { code, out } = await cli(['lint', safe]);
    expect(code).toBe(0);
    expect(out).toContain('setting-not-nullable-field waived: events has 40 rows');
  });

  it('--json gives the findings to a machine', async () => {
    const { code, out } = await cli(['lint', unsafe, safe, '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(out);
    expect(report.ok).toBe(false);
    expect(report.files).toHaveLength(2);
    expect(report.files[0].findings[0]).toMatchObject({ rule: 'require-concurrent-index-creation', line: 2 });
  });

  it('--rules lists every rule; bad input is exit 2 with one clear sentence', async () => {
    expect((await cli(['lint', '--rules'])).out).toContain('function-search-path-pg-temp-last');
    const missing = await cli(['lint', `${fixtures}nope.sql`]);
    expect(missing).toMatchObject({ code: 2, err: expect.stringMatching(/cannot read .*nope\.sql: ENOENT/) });
    expect(await cli(['lint'])).toMatchObject({ code: 2, err: expect.stringMatching(/at least one migration file/) });
    expect(await cli(['lint', unsafe, '--disable', 'nonsense'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown lint rule nonsense/),
    });
  });
});

describe('lint step', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
  });
  afterAll(async () => harness?.close());

  it('fails before any database is touched, naming the first finding, with the findings as evidence', async () => {
    const outcome = await harness.run(
      lintStep,
      { migration: '001', directory: 'migrations' },
      { checklistDir: fixtures, step: { id: 'lint-001' } },
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(
      /^4 lint finding\(s\); first: .*001_widen_events\.sql:2 require-concurrent-index-creation/,
    );
    expect(outcome.evidence?.[0]?.path).toMatch(/lint-001\.lint\.txt$/);
  });

  it('passes on a clean migration, and disable turns a rule off', async () => {
    expect(
      (await harness.run(lintStep, { files: ['migrations/002_widen_events_safely.sql'] }, { checklistDir: fixtures }))
        .status,
    ).toBe('passed');
    const disabled = await harness.run(
      lintStep,
      {
        files: ['migrations/001_widen_events.sql'],
        disable: [
          'require-concurrent-index-creation',
          'constraint-missing-not-valid',
          'setting-not-nullable-field',
          'require-timeout-settings',
        ],
      },
      { checklistDir: fixtures },
    );
    expect(disabled.status).toBe('passed');
  });

  it('lints a migration of a Supabase or Flyway folder, found by its version', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/shipcheck-lint-formats-`);
    try {
      await writeFile(`${dir}/20240101120000_seen_index.sql`, 'create index seen_idx on public.events (seen);');
      await writeFile(`${dir}/V1_1__seen_index.sql`, 'create index seen_idx on public.events (seen);');
      for (const [format, migration] of [
        ['supabase', '20240101120000'],
        ['flyway', '1.1'],
      ] as const) {
        const outcome = await harness.run(lintStep, { migration, format, directory: dir });
        expect(outcome.status, format).toBe('failed');
        expect(outcome.message).toMatch(/require-concurrent-index-creation/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("Shield's 024 as shipped breaks the pg_temp-last rule (the hole issue 11 closes in 025)", async () => {
    const outcome = await harness.run(lintStep, { migration: '024' });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/function-search-path-pg-temp-last/);
  });
});

// The CLI loads with the default kinds only: a rollback of real kinds.
const rollback = `  function_related:
    - { id: rb-check, kind: sql, title: Check, query: select 1, expect: { row_count: 1 } }
  data_corruption:
    - { id: rb-check-2, kind: sql, title: Check, query: select 1, expect: { row_count: 1 } }`;

describe('plan runs the lint step', () => {
  it('shows the findings and exits 1 before anything runs; 0 once the migration is clean', async () => {
    const ws = await workspace();
    try {
      const phase = (file: string) => `
  - id: checks
    title: Checks
    environment: staging
    steps:
      - { id: lint-migration, kind: lint, title: Lint the migration, files: ["${file}"] }
`;
      await ws.writeChecklist(checklistYaml(phase(unsafe), rollback), 'unsafe.yaml');
      const failing = await cli(['plan', `${ws.dir}/unsafe.yaml`, '--env', 'staging', '--state-dir', ws.stateDir]);
      expect(failing.code).toBe(1);
      expect(failing.out).toMatch(/✖ checked now:/);
      expect(failing.out).toContain('require-concurrent-index-creation');
      await ws.writeChecklist(checklistYaml(phase(safe), rollback), 'safe.yaml');
      const passing = await cli([
        'plan',
        `${ws.dir}/safe.yaml`,
        '--env',
        'staging',
        '--state-dir',
        ws.stateDir,
        '--json',
      ]);
      expect(passing.code).toBe(0);
      expect(JSON.parse(passing.out)).toMatchObject({
        ok: true,
        phases: [{ steps: [{ id: 'lint-migration', preview: { ok: true } }] }],
      });
    } finally {
      await ws.remove();
    }
  });
});
