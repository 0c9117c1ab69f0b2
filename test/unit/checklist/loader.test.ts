import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseChecklist } from '../../../src/checklist/loader.js';
import { ChecklistError, type ChecklistProblem } from '../../../src/checklist/problems.js';
import { createRegistry, defaultRegistry, stepKinds } from '../../../src/steps/registry.js';
import type { StepKind } from '../../../src/steps/types.js';

const file = '/checklists/test.yaml';

const valid = `version: 1
name: test-list
metadata:
  migration: db/migrations/024_atomic_user_behavior_updates.sql
  issue: "#653"
  blocked_pr: "#654"
environments:
  staging: { connection_env: STAGING_DATABASE_URL }
  production: { connection_env: PRODUCTION_DATABASE_URL }
phases:
  - id: staging-deploy
    title: Staging deployment
    environment: staging
    steps:
      - id: verify-function
        kind: sql
        title: Verify function exists
        query: select 1 as one
        expect: { rows: [[1]] }
  - id: production-deploy
    title: Production deployment
    environment: production
    steps:
      - id: po-gate
        kind: gate
        title: Staging passed
        requires:
          - { environment: staging, phase: staging-deploy, status: passed }
rollback:
  function_related:
    - id: drop-function
      kind: rollback
      title: Drop the function
      revert_migration: "024"
  data_corruption:
    - id: drop-function-2
      kind: rollback
      title: Drop the function
      revert_migration: "024"
`;

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`no line contains ${needle}`);
  return index + 1;
}

function problemsOf(text: string) {
  try {
    parseChecklist(text, file, defaultRegistry);
  } catch (error) {
    expect(error).toBeInstanceOf(ChecklistError);
    return (error as ChecklistError).problems;
  }
  throw new Error('expected the checklist to be rejected');
}

describe('checklist loader', () => {
  it('loads a valid file into a typed, deep-frozen checklist with step hashes', () => {
    const checklist = parseChecklist(valid, file, defaultRegistry);
    expect(checklist.name).toBe('test-list');
    expect(checklist.metadata).toEqual({
      migration: 'db/migrations/024_atomic_user_behavior_updates.sql',
      issue: '#653',
      blockedPr: '#654',
    });
    expect(checklist.environments.staging).toEqual({ connectionEnv: 'STAGING_DATABASE_URL' });
    const step = checklist.phases[0]!.steps[0]!;
    expect(step).toMatchObject({
      id: 'verify-function',
      kind: 'sql',
      onFail: 'stop',
      line: lineOf(valid, '- id: verify-function'),
    });
    expect(step.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.isFrozen(checklist)).toBe(true);
    expect(Object.isFrozen(checklist.phases[0]!.steps)).toBe(true);
    expect(Object.isFrozen(step.spec)).toBe(true);
    expect(checklist.rollback.keep_monitoring).toEqual([]);
  });

  it('gives the same hash to the same step whatever its key order, and a different one when edited', () => {
    const a = parseChecklist(valid, file, defaultRegistry).phases[0]!.steps[0]!.hash;
    const reordered = valid.replace(
      '        query: select 1 as one\n        expect: { rows: [[1]] }',
      '        expect: { rows: [[1]] }\n        query: select 1 as one',
    );
    expect(parseChecklist(reordered, file, defaultRegistry).phases[0]!.steps[0]!.hash).toBe(a);
    const edited = valid.replace('select 1 as one', 'select 2 as one');
    expect(parseChecklist(edited, file, defaultRegistry).phases[0]!.steps[0]!.hash).not.toBe(a);
  });

  it('reports bad YAML with its line', () => {
    const problems = problemsOf('version: 1\nname: [unclosed\nphases: {');
    expect(problems[0]!.message).toMatch(/^YAML:/);
    expect(problems[0]!.line).toBeGreaterThan(1);
  });

  it('rejects a duplicate YAML key', () => {
    const problems = problemsOf(valid.replace('name: test-list', 'name: test-list\nname: other'));
    expect(problems[0]!.message).toMatch(/YAML:.*unique|duplicate/i);
    expect(problems[0]!.line).toBe(3);
  });

  it('rejects an unknown key at the top, in a phase and in a step, naming key and line', () => {
    const text = valid
      .replace('version: 1', 'version: 1\ncolour: blue')
      .replace('    environment: staging\n', '    environment: staging\n    owner: me\n')
      .replace('        query: select 1 as one', '        query: select 1 as one\n        expected: 1');
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.path, p.line, p.message])).toEqual(
      expect.arrayContaining([
        ['colour', lineOf(text, 'colour'), 'unknown key "colour"'],
        ['phases[0].owner', lineOf(text, 'owner: me'), 'unknown key "owner"'],
        ['phases[0].steps[0].expected', lineOf(text, 'expected: 1'), 'unknown key "expected"'],
      ]),
    );
  });

  it('lists the valid kinds for an unknown kind', () => {
    const problems = problemsOf(valid.replace('kind: sql', 'kind: sqll'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'phases[0].steps[0].kind', line: lineOf(valid, 'kind: sql') });
    expect(problems[0]!.message).toContain('unknown kind "sqll" (valid kinds: ');
    for (const kind of ['approval', 'gate', 'rollback', 'sql']) expect(problems[0]!.message).toContain(kind);
  });

  it('rejects a duplicate step id across phases and rollback, pointing at both lines', () => {
    const problems = problemsOf(valid.replace('id: drop-function-2', 'id: verify-function'));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('rollback.data_corruption[0].id');
    expect(problems[0]!.message).toBe(
      `duplicate step id "verify-function" (first used on line ${lineOf(valid, '- id: verify-function')})`,
    );
  });

  it('rejects a phase on an undeclared environment and a missing environments block', () => {
    const text = valid.replace('    environment: production', '    environment: prod');
    const undeclared = problemsOf(text);
    expect(undeclared[0]).toMatchObject({ path: 'phases[1].environment', line: lineOf(text, 'environment: prod') });
    expect(undeclared[0]!.message).toContain('environment "prod" is not declared (declared: staging, production)');

    const missing = problemsOf(valid.replace(/environments:\n {2}staging: .*\n {2}production: .*\n/, ''));
    expect(missing.some((p) => p.path === 'environments')).toBe(true);
  });

  it('rejects a connection string where a variable name belongs', () => {
    const problems = problemsOf(
      valid.replace('connection_env: STAGING_DATABASE_URL', 'connection_env: "postgres://u:pw@h/db"'),
    );
    expect(problems[0]!.path).toBe('environments.staging.connection_env');
    expect(problems[0]!.message).toContain('NAME of an environment variable');
  });

  it('takes direct_connection_env beside connection_env, as a variable name too', () => {
    const text = valid.replace(
      'connection_env: STAGING_DATABASE_URL',
      'connection_env: STAGING_DATABASE_URL, direct_connection_env: STAGING_DIRECT_URL',
    );
    expect(parseChecklist(text, file, defaultRegistry).environments.staging).toEqual({
      connectionEnv: 'STAGING_DATABASE_URL',
      directConnectionEnv: 'STAGING_DIRECT_URL',
    });
    const problems = problemsOf(
      valid.replace(
        'connection_env: STAGING_DATABASE_URL',
        'connection_env: STAGING_DATABASE_URL, direct_connection_env: "postgres://u:pw@h:5432/db"',
      ),
    );
    expect(problems[0]!.path).toBe('environments.staging.direct_connection_env');
    expect(problems[0]!.message).toContain('NAME of an environment variable');
  });

  it('rejects wrong types, empty phases, bad on_fail and a wrong version, all at once', () => {
    const text = valid
      .replace('version: 1', 'version: 2')
      .replace(
        '        title: Verify function exists',
        '        title: Verify function exists\n        on_fail: explode',
      )
      .replace('        expect: { rows: [[1]] }', '        expect: { row_count: "one" }')
      .replace(/ {4}steps:\n {6}- id: po-gate[\s\S]*?status: passed }\n/, '    steps: []\n');
    const problems = problemsOf(text);
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'version',
        'phases[0].steps[0].on_fail',
        'phases[0].steps[0].expect.row_count',
        'phases[1].steps',
      ]),
    );
    for (const p of problems) expect(p.line).toBeGreaterThan(0);
    const error = (() => {
      try {
        parseChecklist(text, file, defaultRegistry);
      } catch (e) {
        return e as ChecklistError;
      }
    })()!;
    expect(error.message).toMatch(/has \d+ problems; nothing was run/);
    expect(error.detail).toContain('test.yaml:1:10  version: Invalid input: expected 1');
    expect(error.exitCode).toBe(2);
  });

  it('rejects a file that is not a mapping, and an empty file', () => {
    expect(problemsOf('- a\n- b\n')[0]!.message).toContain('must be a YAML mapping');
    expect(problemsOf('')[0]!.message).toContain('must be a YAML mapping');
  });

  it('requires both decisive rollback branches', () => {
    const problems = problemsOf(valid.replace(/ {2}data_corruption:[\s\S]*$/, ''));
    expect(problems.map((p) => p.path)).toContain('rollback.data_corruption');
  });

  it('reports a step missing its id and title together with its kind problems', () => {
    const text = valid.replace(
      '      - id: verify-function\n        kind: sql\n        title: Verify function exists\n',
      '      - kind: sql\n',
    );
    const paths = problemsOf(text).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['phases[0].steps[0].id', 'phases[0].steps[0].title']));
  });
});

/** Steps whose fields name other steps, phases and migrations, every reference valid. */
const referencing = `version: 1
name: reference-test
environments:
  staging: { connection_env: STAGING_DATABASE_URL }
  production: { connection_env: PRODUCTION_DATABASE_URL }
phases:
  - id: staging-deploy
    title: Staging deployment
    environment: staging
    steps:
      - { id: staging-backup, kind: backup, title: Backup, tables: [public.user_behaviors] }
      - { id: staging-baseline, kind: baseline, title: Baseline before, window: 1s }
      - { id: staging-deploy-024, kind: migrate, title: Deploy 024, migration: "024", verify: true }
      - id: staging-watch
        kind: monitor
        title: Watch
        duration: 1m
        baseline: staging-baseline
        criteria: { max_deadlocks: 0, max_failure_increase: 0.1 }
        on_fail: rollback
      - { id: staging-after, kind: baseline, title: Baseline after, window: 1s, compare_with: staging-baseline }
      - { id: spy, kind: spy, title: Must never run }
  - id: po-approval
    title: Approval
    environment: staging
    steps:
      - { id: po-signoff, kind: approval, title: Sign-off, role: Product Owner }
  - id: production-deploy
    title: Production deployment
    environment: production
    steps:
      - id: production-gate
        kind: gate
        title: Staging passed and approved
        requires:
          - { environment: staging, phase: staging-deploy, status: passed }
          - { approval: po-signoff, decision: approved }
      - { id: production-backup, kind: backup, title: Backup, tables: [public.user_behaviors] }
      - { id: production-baseline, kind: baseline, title: Production baseline, window: 1s }
  - id: merge
    title: Merge
    environment: production
    steps:
      - id: merge-gate
        kind: gate
        title: Production deployed
        requires:
          - { environment: production, phase: production-deploy }
rollback:
  function_related:
    - { id: drop-function, kind: rollback, title: Drop the function, revert_migration: "024" }
  data_corruption:
    - { id: restore, kind: rollback, title: Restore the backup, restore_backup: [staging-backup, production-backup] }
    - { id: drop-function-2, kind: rollback, title: Drop the function, revert_migration: "024" }
`;

let spyRuns = 0;
const spyStep: StepKind<Record<string, never>> = {
  kind: 'spy',
  schema: z.strictObject({}),
  idempotent: true,
  mutates: false,
  rehearsable: false,
  describe: () => ({ summary: 'spy' }),
  async run() {
    spyRuns++;
    return { status: 'passed', expected: 'nothing', observed: null, message: 'ran' };
  },
};
const spyRegistry = createRegistry([...stepKinds, spyStep]);

/** The one problem of `text`, which must be refused as a ChecklistError (usage, exit 2). */
function onlyProblemOf(text: string, atFile = file): ChecklistProblem {
  let caught: unknown;
  try {
    parseChecklist(text, atFile, spyRegistry);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ChecklistError);
  const error = caught as ChecklistError;
  expect(error.exitCode).toBe(2);
  expect(error.message).toContain('nothing was run');
  expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toHaveLength(1);
  expect(spyRuns).toBe(0);
  return error.problems[0]!;
}

/** `text` with the first occurrence of `from` replaced, checked to be there. */
function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

/**
 * `referencing` with `from` replaced by `to` has one problem, matching `expected`; `at` is a
 * text on the line the problem must point at (in the edited file), a RegExp message a pattern.
 */
function expectProblemAfterEdit(
  from: string,
  to: string,
  expected: { path?: string; at?: string; column?: number; message?: string | RegExp },
): void {
  const text = edit(referencing, from, to);
  const { at, message, ...rest } = expected;
  expect(onlyProblemOf(text)).toMatchObject({
    ...rest,
    ...(at === undefined ? {} : { line: lineOf(text, at) }),
    ...(message === undefined
      ? {}
      : { message: typeof message === 'string' ? message : expect.stringMatching(message) }),
  });
}

describe('checklist loader: references between steps', () => {
  it('loads a file whose gate, monitor, baseline, migrate and rollback steps all name what exists', () => {
    const checklist = parseChecklist(referencing, file, spyRegistry);
    expect(checklist.phases.map((p) => p.id)).toEqual(['staging-deploy', 'po-approval', 'production-deploy', 'merge']);
    expect(spyRuns).toBe(0);
  });

  it('monitor baseline: a typo names the field, its line and the baseline steps it could name', () => {
    expectProblemAfterEdit('baseline: staging-baseline', 'baseline: staging-baselin', {
      path: 'phases[0].steps[3].baseline',
      at: 'baseline: staging-baselin',
      column: 19,
      message: 'no step "staging-baselin" (baseline steps that run before this step in its run: staging-baseline)',
    });
  });

  it('monitor baseline: a step of another kind, a later baseline, one on another environment', () => {
    expectProblemAfterEdit('baseline: staging-baseline', 'baseline: staging-backup', {
      message:
        'step "staging-backup" is a backup step, not a baseline step (baseline steps that run before this step in its run: staging-baseline)',
    });
    const later = edit(referencing, 'baseline: staging-baseline', 'baseline: staging-after');
    expect(onlyProblemOf(later)).toMatchObject({
      path: 'phases[0].steps[3].baseline',
      line: lineOf(later, 'baseline: staging-after'),
    });
    expect(onlyProblemOf(later).message).toBe(
      `baseline step "staging-after" runs after this step (line ${lineOf(later, 'id: staging-after')}), so it has recorded nothing yet when this step runs (baseline steps that run before this step in its run: staging-baseline)`,
    );
    expectProblemAfterEdit('baseline: staging-baseline', 'baseline: production-baseline', {
      message:
        'baseline step "production-baseline" runs on production (phase production-deploy), in another run than this step on staging (baseline steps that run before this step in its run: staging-baseline)',
    });
  });

  it('monitor: a table-lock criterion without lock_table is refused at load, naming the field (no default table to miss)', () => {
    const text = edit(
      referencing,
      'criteria: { max_deadlocks: 0, max_failure_increase: 0.1 }',
      'criteria: { max_deadlocks: 0, max_table_lock_waits: 0, max_failure_increase: 0.1 }',
    );
    const problem = onlyProblemOf(text);
    expect(problem.path).toContain('lock_table');
    expect(problem.message).toMatch(/max_table_lock_waits .*name it in lock_table/);
    const named = edit(text, 'duration: 1m', 'duration: 1m\n        lock_table: billing.invoices');
    expect(
      parseChecklist(named, file, spyRegistry).phases[0]!.steps.find((s) => s.id === 'staging-watch'),
    ).toBeDefined();
  });

  it('baseline compare_with: a typo, and the step itself', () => {
    expectProblemAfterEdit('compare_with: staging-baseline', 'compare_with: stagingbaseline', {
      path: 'phases[0].steps[4].compare_with',
      at: 'compare_with: stagingbaseline',
      message: 'no step "stagingbaseline" (baseline steps that run before this step in its run: staging-baseline)',
    });
    expectProblemAfterEdit('compare_with: staging-baseline', 'compare_with: staging-after', {
      message: /^baseline step "staging-after" is this step itself \(/,
    });
  });

  it('rollback restore_backup: a typo in the list, a single id, a step that is no backup', () => {
    expectProblemAfterEdit('[staging-backup, production-backup]', '[staging-backup, production-bakup]', {
      path: 'rollback.data_corruption[0].restore_backup[1]',
      at: 'production-bakup',
      message:
        'no step "production-bakup" (backup steps that run before this step in its run: staging-backup, production-backup)',
    });
    expectProblemAfterEdit('[staging-backup, production-backup]', 'stagingbackup', {
      path: 'rollback.data_corruption[0].restore_backup',
      at: 'stagingbackup',
    });
    expectProblemAfterEdit('[staging-backup, production-backup]', 'staging-baseline', {
      message: /^step "staging-baseline" is a baseline step, not a backup step \(backup steps/,
    });
  });

  it('gate approval: a typo, a step that is no approval, an approval asked for after the gate on its environment', () => {
    expectProblemAfterEdit('approval: po-signoff', 'approval: po-signof', {
      path: 'phases[2].steps[0].requires[1].approval',
      at: 'approval: po-signof',
      message: 'no step "po-signof" (approval steps this gate can wait for: po-signoff)',
    });
    expectProblemAfterEdit('approval: po-signoff', 'approval: staging-backup', {
      message:
        'step "staging-backup" is a backup step, not an approval step (approval steps this gate can wait for: po-signoff)',
    });
    const after = edit(
      referencing,
      '      - { id: production-backup,',
      '      - { id: production-signoff, kind: approval, title: Late sign-off, role: DevOps }\n      - { id: production-backup,',
    ).replace('approval: po-signoff', 'approval: production-signoff');
    expect(onlyProblemOf(after).message).toMatch(
      /^approval step "production-signoff" comes after this gate \(line \d+\) in the same run on production, so the gate is checked before the decision is asked for \(approval steps this gate can wait for: po-signoff\)$/,
    );
  });

  it("gate phase: a typo, the gate's own phase, a later phase on the same environment", () => {
    expectProblemAfterEdit('phase: staging-deploy,', 'phase: staging-deplyo,', {
      path: 'phases[2].steps[0].requires[0].phase',
      at: 'staging-deplyo',
      message: 'no phase "staging-deplyo" (phases this gate can require: staging-deploy, po-approval)',
    });
    expectProblemAfterEdit('phase: production-deploy }', 'phase: merge }', {
      message:
        'phase "merge" is this gate\'s own phase: it is in progress while the gate runs (phases this gate can require: staging-deploy, po-approval, production-deploy)',
    });
    expectProblemAfterEdit(
      '- { environment: staging, phase: staging-deploy, status: passed }',
      '- { environment: production, phase: merge }',
      {
        path: 'phases[2].steps[0].requires[0].phase',
        message:
          'phase "merge" runs after this gate\'s phase on the same environment (production) (phases this gate can require: staging-deploy, po-approval)',
      },
    );
  });

  it('gate environment: undeclared, or not the one the phase runs on', () => {
    expectProblemAfterEdit(
      '{ environment: staging, phase: staging-deploy',
      '{ environment: stagin, phase: staging-deploy',
      {
        path: 'phases[2].steps[0].requires[0].environment',
        at: 'environment: stagin,',
        message: 'environment "stagin" is not declared (declared: staging, production)',
      },
    );
    expectProblemAfterEdit(
      '{ environment: staging, phase: staging-deploy',
      '{ environment: production, phase: staging-deploy',
      {
        path: 'phases[2].steps[0].requires[0].environment',
        message: 'phase "staging-deploy" runs on staging, not on production',
      },
    );
  });

  it('migrate migration: an unknown id lists the migrations; verify: true needs a verify script', () => {
    expectProblemAfterEdit('migration: "024"', 'migration: "042"', {
      path: 'phases[0].steps[2].migration',
      at: 'migration: "042"',
      message:
        'no migration "042" in shipcheck\'s db/migrations (migrations: 001, 002, 003, 004, 005, 006, 024, 025, 026)',
    });
    const noVerify = edit(referencing, 'migration: "024"', 'migration: "003"');
    expect(onlyProblemOf(noVerify)).toMatchObject({
      path: 'phases[0].steps[2].verify',
      message:
        "migration 003_user_behaviors has no verify script (003_user_behaviors.verify.sql in shipcheck's db/migrations; migrations with one: 024, 025, 026)",
    });
    expect(() =>
      parseChecklist(
        noVerify.replace('migration: "003", verify: true', 'migration: "003_user_behaviors"'),
        file,
        spyRegistry,
      ),
    ).not.toThrow();
  });

  it('rollback revert_migration: an unknown id, a migration without a revert script', () => {
    expectProblemAfterEdit('revert_migration: "024"', 'revert_migration: "042"', {
      path: 'rollback.function_related[0].revert_migration',
      at: 'revert_migration: "042"',
      message:
        'no migration "042" in shipcheck\'s db/migrations (migrations: 001, 002, 003, 004, 005, 006, 024, 025, 026)',
    });
    expectProblemAfterEdit('revert_migration: "024"', 'revert_migration: "006"', {
      message:
        "migration 006_row_level_security has no revert script (006_row_level_security.revert.sql in shipcheck's db/migrations; migrations with one: 024, 025, 026)",
    });
  });

  it('a migrations directory is read relative to the checklist; a missing one is reported at its field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shipcheck-loader-'));
    try {
      await mkdir(join(dir, 'migrations'));
      await writeFile(join(dir, 'migrations', '001_probe.sql'), 'select 1;\n');
      await writeFile(join(dir, 'migrations', '001_probe.revert.sql'), 'select 1;\n');
      const at = join(dir, 'checklist.yaml');
      const own = referencing
        .replace('migration: "024", verify: true', 'migration: "001", directory: migrations')
        .replace('revert_migration: "024" }', 'revert_migration: "001", migrations_dir: migrations }');
      expect(() => parseChecklist(own, at, spyRegistry)).not.toThrow();
      expect(onlyProblemOf(own.replace('migration: "001", directory', 'migration: "024", directory'), at).message).toBe(
        'no migration "024" in migrations (migrations: 001)',
      );
      const missing = own.replace('migrations_dir: migrations', 'migrations_dir: migratoins');
      expect(onlyProblemOf(missing, at)).toMatchObject({
        path: 'rollback.function_related[0].migrations_dir',
        line: lineOf(missing, 'migratoins'),
        message: `cannot read the migrations directory migratoins (no such directory: ${join(dir, 'migratoins')})`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rollback_branch: only with on_fail: rollback, and never on a step of the rollback procedure', () => {
    const stop = edit(
      referencing,
      '        on_fail: rollback\n',
      '        on_fail: stop\n        rollback_branch: data_corruption\n',
    );
    expect(onlyProblemOf(stop)).toMatchObject({
      path: 'phases[0].steps[3].rollback_branch',
      line: lineOf(stop, 'rollback_branch: data_corruption'),
      message:
        "rollback_branch data_corruption takes effect only with on_fail: rollback (this step's on_fail is stop, so its failure never runs that branch)",
    });
    expect(() =>
      parseChecklist(
        edit(
          referencing,
          '        on_fail: rollback\n',
          '        on_fail: rollback\n        rollback_branch: data_corruption\n',
        ),
        file,
        spyRegistry,
      ),
    ).not.toThrow();
    expectProblemAfterEdit(
      'title: Drop the function, revert_migration: "024" }',
      'title: Drop the function, revert_migration: "024", rollback_branch: keep_monitoring }',
      { path: 'rollback.function_related[0].rollback_branch' },
    );
  });

  it('a step that names a step whose own fields are wrong gets no second problem', () => {
    expectProblemAfterEdit('title: Baseline before, window: 1s', 'title: Baseline before, window: forever', {
      path: 'phases[0].steps[1].window',
    });
  });

  it('reports every broken reference at once, sorted by line, and runs nothing', () => {
    const text = referencing
      .replace('baseline: staging-baseline', 'baseline: staging-baselin')
      .replace('approval: po-signoff', 'approval: po-signof')
      .replace('production-backup]', 'production-bakup]')
      .replace('migration: "024"', 'migration: "042"');
    let caught: ChecklistError | undefined;
    try {
      parseChecklist(text, file, spyRegistry);
    } catch (error) {
      caught = error as ChecklistError;
    }
    expect(caught?.exitCode).toBe(2);
    expect(caught!.problems.map((p) => p.path)).toEqual([
      'phases[0].steps[2].migration',
      'phases[0].steps[3].baseline',
      'phases[2].steps[0].requires[1].approval',
      'rollback.data_corruption[0].restore_backup[1]',
    ]);
    expect(caught!.detail).toContain(
      `test.yaml:${lineOf(text, 'approval: po-signof')}:25  phases[2].steps[0].requires[1].approval: no step "po-signof"`,
    );
    expect(spyRuns).toBe(0);
  });
});

describe('checklist loader: step kind', () => {
  it('a step without a kind lists the valid kinds, at the step', () => {
    const text = valid.replace('        kind: sql\n', '');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'phases[0].steps[0].kind', line: lineOf(text, '- id: verify-function') });
    expect(problems[0]!.message).toMatch(/^a step needs a kind \(valid kinds: approval, backup, baseline, .*, sql\)$/);
  });

  it('a kind that is not a name (a number, an empty string) lists the valid kinds, at the kind', () => {
    for (const kind of ['5', '""']) {
      const text = valid.replace('kind: sql', `kind: ${kind}`);
      const problems = problemsOf(text);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: 'phases[0].steps[0].kind', line: lineOf(text, `kind: ${kind}`) });
      expect(problems[0]!.message).toMatch(/^kind must be the name of a step kind \(valid kinds: approval, .*\)$/);
    }
  });
});
