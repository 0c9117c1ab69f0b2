import { describe, expect, it } from 'vitest';
import { parseChecklist } from '../../../src/checklist/loader.js';
import { ChecklistError } from '../../../src/checklist/problems.js';
import { defaultRegistry } from '../../../src/steps/registry.js';

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
    expect(step).toMatchObject({ id: 'verify-function', kind: 'sql', onFail: 'stop', line: lineOf(valid, '- id: verify-function') });
    expect(step.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.isFrozen(checklist)).toBe(true);
    expect(Object.isFrozen(checklist.phases[0]!.steps)).toBe(true);
    expect(Object.isFrozen(step.spec)).toBe(true);
    expect(checklist.rollback.keep_monitoring).toEqual([]);
  });

  it('gives the same hash to the same step whatever its key order, and a different one when edited', () => {
    const a = parseChecklist(valid, file, defaultRegistry).phases[0]!.steps[0]!.hash;
    const reordered = valid.replace('        query: select 1 as one\n        expect: { rows: [[1]] }', '        expect: { rows: [[1]] }\n        query: select 1 as one');
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
    expect(problems[0]!.message).toBe(`duplicate step id "verify-function" (first used on line ${lineOf(valid, '- id: verify-function')})`);
  });

  it('rejects a phase on an undeclared environment and a missing environments block', () => {
    const text = valid.replace('    environment: production', '    environment: prod');
    const undeclared = problemsOf(text);
    expect(undeclared[0]).toMatchObject({ path: 'phases[1].environment', line: lineOf(text, 'environment: prod') });
    expect(undeclared[0]!.message).toContain('environment "prod" is not declared (declared: staging, production)');

    const missing = problemsOf(
      valid.replace(/environments:\n {2}staging: .*\n {2}production: .*\n/, ''),
    );
    expect(missing.some((p) => p.path === 'environments')).toBe(true);
  });

  it('rejects a connection string where a variable name belongs', () => {
    const problems = problemsOf(valid.replace('connection_env: STAGING_DATABASE_URL', 'connection_env: "postgres://u:pw@h/db"'));
    expect(problems[0]!.path).toBe('environments.staging.connection_env');
    expect(problems[0]!.message).toContain('NAME of an environment variable');
  });

  it('rejects wrong types, empty phases, bad on_fail and a wrong version, all at once', () => {
    const text = valid
      .replace('version: 1', 'version: 2')
      .replace('        title: Verify function exists', '        title: Verify function exists\n        on_fail: explode')
      .replace("        expect: { rows: [[1]] }", '        expect: { row_count: "one" }')
      .replace(/ {4}steps:\n {6}- id: po-gate[\s\S]*?status: passed }\n/, '    steps: []\n');
    const problems = problemsOf(text);
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['version', 'phases[0].steps[0].on_fail', 'phases[0].steps[0].expect.row_count', 'phases[1].steps']),
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
    const text = valid.replace('      - id: verify-function\n        kind: sql\n        title: Verify function exists\n', '      - kind: sql\n');
    const paths = problemsOf(text).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['phases[0].steps[0].id', 'phases[0].steps[0].title']));
  });
});
