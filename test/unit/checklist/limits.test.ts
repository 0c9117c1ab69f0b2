import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { checklistLimits, loadChecklist, parseChecklist } from '../../../src/checklist/loader.js';
import { ChecklistError } from '../../../src/checklist/problems.js';
import { ExitCode, UsageError } from '../../../src/errors.js';
import { defaultRegistry } from '../../../src/steps/registry.js';

// Files that would exhaust memory or the stack are bad input like any other: exit 2, one clear
// sentence, nothing run (before: a 200,000-step file ran out of stack and a billion laughs
// ended in exit 70).

const head = `version: 1
name: limits
environments:
  staging: { connection_env: STAGING_URL }
phases:
  - id: p
    title: P
    environment: staging
    steps:
`;
const rollback = `rollback:
  function_related: [{ id: rb1, kind: sql, title: R, query: select 1, expect: { row_count: 1 } }]
  data_corruption: [{ id: rb2, kind: sql, title: R, query: select 1, expect: { row_count: 1 } }]
`;
const withSteps = (n: number) =>
  head +
  Array.from(
    { length: n },
    (_, i) => `      - { id: s${i}, kind: sql, title: S, query: select 1, expect: { row_count: 1 } }\n`,
  ).join('') +
  rollback;

const billionLaughs = `version: 1
name: lol
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipcheck-limits-'));
  return () => rm(dir, { recursive: true, force: true });
});

async function plan(text: string): Promise<{ code: number; err: string }> {
  const file = join(dir, 'checklist.yaml');
  await writeFile(file, text);
  const err: string[] = [];
  const code = await main(
    ['node', 'shipcheck', 'plan', file, '--env', 'staging'],
    { out: () => {}, err: (l) => err.push(l) },
    {},
  );
  return { code, err: err.join('\n') };
}

function refusal(text: string): ChecklistError {
  try {
    parseChecklist(text, '/c.yaml', defaultRegistry);
  } catch (error) {
    expect(error).toBeInstanceOf(ChecklistError);
    return error as ChecklistError;
  }
  throw new Error('expected the checklist to be refused');
}

describe('checklist limits', () => {
  it('refuses a file over the size cap before reading it: exit 2', async () => {
    const file = join(dir, 'big.yaml');
    await writeFile(file, `${head}# ${'x'.repeat(checklistLimits.maxBytes)}\n`);
    const error = await loadChecklist(file, defaultRegistry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('checklist_too_large');
    expect((error as UsageError).message).toMatch(
      /is \d+ bytes, more than the 1048576 bytes a checklist may be; nothing was run/,
    );
    const cli = await plan(`${head}# ${'x'.repeat(checklistLimits.maxBytes)}\n`);
    expect(cli.code).toBe(ExitCode.usage);
  });

  it('refuses a billion laughs (YAML aliases that expand exponentially): exit 2, not 70', async () => {
    expect(refusal(billionLaughs).problems[0]!.message).toMatch(
      /YAML aliases expand too much \(more than maxAliasCount 100\)/,
    );
    const cli = await plan(billionLaughs);
    expect(cli.code).toBe(ExitCode.usage);
    expect(cli.err).toContain('YAML aliases expand too much');
  });

  it('refuses more steps than the cap, counted over phases and rollback branches, and loads a file at the cap', async () => {
    const over = checklistLimits.maxSteps - 1; // + the two rollback steps
    const problems = refusal(withSteps(over)).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe(
      `${over + 2} steps: a checklist may have at most ${checklistLimits.maxSteps} (phases and rollback branches together)`,
    );
    expect(
      parseChecklist(withSteps(checklistLimits.maxSteps - 2), '/c.yaml', defaultRegistry).phases[0]!.steps,
    ).toHaveLength(998);
  });

  it('a 200,000-step file is refused with exit 2 (the size cap stops it before the parser)', async () => {
    const cli = await plan(withSteps(200_000));
    expect(cli.code).toBe(ExitCode.usage);
    expect(cli.err).toContain('a checklist may be');
  });

  it('refuses YAML nested deeper than the stack: exit 2', async () => {
    const cli = await plan(`version: 1\nname: deep\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(cli.code).toBe(ExitCode.usage);
  });
});
