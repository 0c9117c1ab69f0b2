import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { Database } from '../../src/db/database.js';
import { testOrganizationId } from '../../src/shield/operator/testOrganization.js';
import { adminUrl, freshDatabase, type TestDatabase } from '../support/database.js';
import { concurrentArgs, verifyCountArgs } from './shieldCommands.js';

let t: TestDatabase;
// The CLI runs as a login role of its own (a member of service_role, like the Shield
// service) whose password is long and random, so "the password never appears" means something.
const role = `sc_cli_${randomBytes(4).toString('hex')}`;
const password = randomBytes(18).toString('hex');
let env: NodeJS.ProcessEnv;
const allOutput: string[] = [];

beforeAll(async () => {
  t = await freshDatabase();
  // Identifiers cannot be bound; the role name is generated above from hex digits only.
  await t.db.query(`create role ${role} login password '${password}' in role service_role`);
  const url = new URL(t.url);
  url.username = role;
  url.password = password;
  env = { SHIELD_DATABASE_URL: url.toString() };
});

afterAll(async () => {
  await t?.drop();
  const admin = Database.connect(adminUrl(), { max: 1 });
  await admin.query(`drop role if exists ${role}`).finally(() => admin.close());
});

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = await main(
    ['node', 'shipcheck', 'shield', ...args, '--database-url-env', 'SHIELD_DATABASE_URL'],
    output,
    env,
  );
  allOutput.push(...out, ...err);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Everything the operator tools could have written. */
async function fingerprint() {
  const { rows } = await t.db.query(
    `select (select count(*) from public.organizations)::int as organizations,
            (select count(*) from public.user_behaviors)::int as behaviours,
            (select coalesce(sum(total_violations), 0) from public.user_behaviors)::int as violations`,
  );
  return rows[0];
}

/** `concurrent` with valid flags, `change` replacing or adding some. */
function concurrentWith(change: Record<string, string | undefined>): string[] {
  const flags: Record<string, string | undefined> = {
    '--user-id': 'u1',
    '--actions': '5',
    '--platform': 'twitter',
    ...change,
  };
  return [
    'concurrent',
    ...Object.entries(flags).flatMap(([flag, value]) => (value === undefined ? [] : [flag, value])),
  ];
}

describe('bad flags: a clear message, exit 2, nothing written', () => {
  const unknownOrg = '11111111-2222-3333-4444-555555555555';
  const cases: [string, string[], RegExp][] = [
    ['missing --user-id', concurrentWith({ '--user-id': undefined }), /required option '--user-id <id>' not specified/],
    ['empty --user-id', concurrentWith({ '--user-id': '' }), /--user-id: user id must not be empty/],
    ['--user-id over 256', concurrentWith({ '--user-id': 'u'.repeat(257) }), /at most 256 characters, got 257/],
    ['--actions 0', concurrentWith({ '--actions': '0' }), /--actions must be between 1 and 10000, got 0/],
    ['--actions 10001', concurrentWith({ '--actions': '10001' }), /--actions must be between 1 and 10000, got 10001/],
    ['--actions five', concurrentWith({ '--actions': 'five' }), /--actions must be a whole number, got "five"/],
    [
      'missing --platform',
      concurrentWith({ '--platform': undefined }),
      /required option '--platform <name>' not specified/,
    ],
    [
      '--platform Twitter',
      concurrentWith({ '--platform': 'Twitter' }),
      /--platform: platform must be a lower-case name/,
    ],
    [
      '--platform with a quote',
      concurrentWith({ '--platform': "x'; drop table x" }),
      /--platform: platform must be a lower-case name/,
    ],
    ['--org-id not a uuid', concurrentWith({ '--org-id': '42' }), /--org-id must be a UUID, got "42"/],
    [
      '--org-id unknown',
      concurrentWith({ '--org-id': unknownOrg }),
      /organization 1111\S+ does not exist in this database/,
    ],
    [
      '--writer unknown',
      concurrentWith({ '--writer': 'optimistic' }),
      /--writer must be one of rpc, legacy, action, got "optimistic"/,
    ],
    ['--connections 0', concurrentWith({ '--connections': '0' }), /--connections must be between 1 and 100, got 0/],
    [
      '--connections 101',
      concurrentWith({ '--connections': '101' }),
      /--connections must be between 1 and 100, got 101/,
    ],
    [
      'missing --expected-count',
      ['verify-count', '--user-id', 'u1'],
      /required option '--expected-count <N>' not specified/,
    ],
    [
      '--expected-count -1',
      ['verify-count', '--user-id', 'u1', '--expected-count', '-1'],
      /--expected-count must be a whole number, got "-1"/,
    ],
    [
      'verify-count --org-id unknown',
      ['verify-count', '--user-id', 'u1', '--expected-count', '1', '--org-id', unknownOrg],
      /does not exist in this database/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const before = await fingerprint();
      const { code, stdout, stderr } = await cli(...args);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stdout).toBe('');
      expect(await fingerprint()).toEqual(before);
    });
  }

  it('no connection variable: says which one to set, exit 2', async () => {
    const out: string[] = [];
    const output: Output = { out: (line) => out.push(line), err: (line) => out.push(line) };
    const code = await main(
      ['node', 'shipcheck', 'shield', 'verify-count', '--user-id', 'u1', '--expected-count', '1'],
      output,
      {},
    );
    expect(code).toBe(2);
    expect(out.join('\n')).toContain('the environment variable DATABASE_URL is not set');
  });
});

describe('concurrent then verify-count: the seed sequence', () => {
  it('--reset 5 actions, exit 0; verify-count 5 exit 0; 7 lost, 3 extra, unknown user missing: exit 1', async () => {
    const run = await cli(
      'concurrent',
      '--user-id=test_concurrent_staging',
      '--actions=5',
      '--platform=twitter',
      '--reset',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/succeeded {2}5\n {2}failed {5}0\n {2}total {6}5/);
    expect(run.stdout).toMatch(/latency {4}p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(run.stdout).toContain('no lost updates: all 5 actions applied (count 0 → 5)');

    expect(await cli('verify-count', '--user-id=test_concurrent_staging', '--expected-count=5')).toMatchObject({
      code: 0,
      stdout: 'count matches: expected 5, found 5',
    });
    expect(await cli('verify-count', '--user-id', 'test_concurrent_staging', '--expected-count', '7')).toMatchObject({
      code: 1,
      stdout: 'lost updates: expected 7, found 5 (2 lost)',
    });
    expect(await cli('verify-count', '--user-id', 'test_concurrent_staging', '--expected-count', '3')).toMatchObject({
      code: 1,
      stdout: 'extra updates: expected 3, found 5 (2 extra)',
    });
    expect(await cli('verify-count', '--user-id', 'never_seen', '--expected-count', '5')).toMatchObject({
      code: 1,
      stdout: 'lost updates: expected 5, found no behaviour row (all 5 lost)',
    });
  });

  it('running again without --reset checks the delta, and the row stays for the next step', async () => {
    const again = await cli(...concurrentArgs('test_concurrent_staging', 5, 'twitter'));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('5 → 10 (applied 5, lost 0)');
    expect((await cli('verify-count', '--user-id', 'test_concurrent_staging', '--expected-count', '10')).code).toBe(0);
  });

  it('the legacy writer loses updates: exit 1', async () => {
    let result = await cli(...concurrentArgs('legacy_cli', 200, 'twitter', '--writer', 'legacy', '--reset'));
    // A race is a race: give it two more rounds before calling the legacy writer safe.
    for (let round = 1; round < 3 && result.code === 0; round++) {
      result = await cli(...concurrentArgs('legacy_cli', 200, 'twitter', '--writer', 'legacy', '--reset'));
    }
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/lost updates: 200 actions succeeded but the count grew by \d+ \(\d+ lost\)/);
  });
});

describe('--json', () => {
  it('concurrent prints the whole result', async () => {
    const { code, stdout } = await cli(
      ...concurrentArgs('json_user', 8, 'discord', '--connections', '4', '--reset', '--json'),
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toEqual({
      writer: 'rpc',
      organizationId: testOrganizationId,
      platform: 'discord',
      platformUserId: 'json_user',
      connections: 4,
      requested: 8,
      succeeded: 8,
      failed: 0,
      errors: [],
      countBefore: 0,
      countAfter: 8,
      applied: 8,
      lost: 0,
      latencyMs: {
        p50: expect.any(Number),
        p95: expect.any(Number),
        p99: expect.any(Number),
        max: expect.any(Number),
        mean: expect.any(Number),
      },
      wallMs: expect.any(Number),
      roundTripsPerAction: 1,
      reset: true,
      cleanedUp: false,
      verdict: 'clean',
    });
  });

  it('verify-count prints the check; --cleanup removes the row at the end', async () => {
    const { code, stdout } = await cli(...verifyCountArgs('json_user', 'discord', 9, '--json'));
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      organizationId: testOrganizationId,
      platform: 'discord',
      platformUserId: 'json_user',
      expected: 9,
      actual: 8,
      status: 'lost',
      difference: -1,
    });
    const cleaned = await cli(...concurrentArgs('json_user', 2, 'discord', '--cleanup', '--json'));
    expect(JSON.parse(cleaned.stdout)).toMatchObject({ countBefore: 8, countAfter: 10, cleanedUp: true });
    expect(JSON.parse((await cli(...verifyCountArgs('json_user', 'discord', 10, '--json'))).stdout)).toMatchObject({
      status: 'missing',
    });
  });

  it('errors come as one JSON object on stderr', async () => {
    const { code, stderr } = await cli(
      ...concurrentArgs('u1', 1, 'twitter', '--org-id', '11111111-2222-3333-4444-555555555555', '--json'),
    );
    expect(code).toBe(2);
    expect(JSON.parse(stderr)).toMatchObject({ error: { code: 'usage', exitCode: 2 } });
  });
});

describe('secrets', () => {
  it('an unreachable server: exit 5, and the password is not in the output even with --verbose', async () => {
    const out: string[] = [];
    const output: Output = { out: (line) => out.push(line), err: (line) => out.push(line) };
    const unreachable = { DATABASE_URL: `postgres://${role}:${password}@127.0.0.1:1/nowhere` };
    const code = await main(
      ['node', 'shipcheck', 'shield', ...concurrentArgs('u1', 2, 'twitter', '--verbose')],
      output,
      unreachable,
    );
    expect(code).toBe(5);
    expect(out.join('\n')).toContain('could not talk to the database');
    allOutput.push(...out);
  });

  it('no output of any command above contains the password or the connection string', () => {
    expect(allOutput.length).toBeGreaterThan(20);
    const everything = allOutput.join('\n');
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(env.SHIELD_DATABASE_URL);
  });
});
