import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { runConcurrentActions, type ConcurrentActionsResult } from '../../src/shield/operator/concurrent.js';
import { testOrganizationId } from '../../src/shield/operator/testOrganization.js';
import { verifyBehaviourCount } from '../../src/shield/operator/verifyCount.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t?.drop());

async function violationCount(platformUserId: string, organizationId = testOrganizationId) {
  const { rows } = await t.db.query<{ total_violations: number }>(
    'select total_violations from public.user_behaviors where organization_id = $1 and platform_user_id = $2',
    [organizationId, platformUserId],
  );
  return rows[0]?.total_violations;
}

describe('runConcurrentActions', () => {
  it('rpc writer: 500 simultaneous actions on one offender all land (count 500, lost 0)', async () => {
    const result = await runConcurrentActions(t.url, {
      platform: 'twitter',
      platformUserId: 'rpc_500',
      actions: 500,
      writer: 'rpc',
      reset: true,
    });
    expect(result).toMatchObject({
      writer: 'rpc',
      organizationId: testOrganizationId,
      connections: 20,
      requested: 500,
      succeeded: 500,
      failed: 0,
      errors: [],
      countBefore: 0,
      countAfter: 500,
      applied: 500,
      lost: 0,
      roundTripsPerAction: 1,
      verdict: 'clean',
    });
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p95);
    expect(result.latencyMs.p95).toBeLessThanOrEqual(result.latencyMs.p99);
    expect(result.latencyMs.p99).toBeLessThanOrEqual(result.latencyMs.max);
    expect(await violationCount('rpc_500')).toBe(500);
    console.info(`rpc 500: lost ${result.lost}, latency ${JSON.stringify(result.latencyMs)}, wall ${result.wallMs} ms`);
  });

  it('legacy writer: the same load (500 simultaneous actions) loses updates', async () => {
    const rounds: ConcurrentActionsResult[] = [];
    // Lost updates are near-certain with 20 connections on one row, but a race is a race: retry a few rounds.
    for (let round = 0; round < 5 && !rounds.some((r) => r.lost > 0); round++) {
      rounds.push(
        await runConcurrentActions(t.url, {
          platform: 'twitter',
          platformUserId: 'legacy_race',
          actions: 500,
          writer: 'legacy',
          reset: true,
        }),
      );
    }
    const losing = rounds.find((r) => r.lost > 0);
    expect(losing, 'the legacy writer lost no update in 5 rounds of 500').toBeDefined();
    expect(losing).toMatchObject({
      writer: 'legacy',
      succeeded: 500,
      failed: 0,
      verdict: 'lost_updates',
      roundTripsPerAction: 2,
    });
    expect(losing!.applied).toBe(500 - losing!.lost);
    expect(await violationCount('legacy_race')).toBe(losing!.countAfter);
    console.info(
      `legacy: lost ${losing!.lost} of 500 in round ${rounds.length}, latency ${JSON.stringify(losing!.latencyMs)}`,
    );
  });

  it('without reset compares the delta; never deletes the row unless asked to clean up', async () => {
    const first = await runConcurrentActions(t.url, { platform: 'discord', platformUserId: 'delta', actions: 5 });
    const second = await runConcurrentActions(t.url, {
      platform: 'discord',
      platformUserId: 'delta',
      actions: 7,
      connections: 3,
    });
    expect(first).toMatchObject({ countBefore: 0, countAfter: 5, lost: 0, cleanedUp: false });
    expect(second).toMatchObject({
      countBefore: 5,
      countAfter: 12,
      applied: 7,
      lost: 0,
      connections: 3,
      verdict: 'clean',
    });

    const cleaned = await runConcurrentActions(t.url, {
      platform: 'discord',
      platformUserId: 'delta',
      actions: 2,
      cleanup: true,
    });
    expect(cleaned).toMatchObject({ countBefore: 12, countAfter: 14, lost: 0, cleanedUp: true });
    const { rows } = await t.db.query(
      "select 1 from public.user_behaviors where platform = 'discord' and platform_user_id = 'delta'",
    );
    expect(rows).toHaveLength(0);
  });

  it('creates the test organization when no organization is given', async () => {
    const { rows } = await t.db.query<{ name: string }>('select name from public.organizations where id = $1', [
      testOrganizationId,
    ]);
    expect(rows).toEqual([{ name: 'shipcheck test organization' }]);
  });

  it('writes under an explicit organization, and refuses one that does not exist', async () => {
    const { rows } = await t.db.query<{ id: string }>(
      "insert into public.organizations (name) values ('explicit') returning id",
    );
    const organizationId = rows[0]!.id;
    const result = await runConcurrentActions(t.url, {
      organizationId,
      platform: 'twitch',
      platformUserId: 'org_user',
      actions: 3,
    });
    expect(result).toMatchObject({ organizationId, countAfter: 3, verdict: 'clean' });

    const missing = '11111111-2222-3333-4444-555555555555';
    const error = await runConcurrentActions(t.url, {
      organizationId: missing,
      platform: 'twitch',
      platformUserId: 'ghost',
      actions: 3,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`organization ${missing} does not exist in this database`);
    expect(await violationCount('ghost', missing)).toBeUndefined();
  });

  it('counts failed calls (grouped by message) instead of throwing', async () => {
    // A constraint the function cannot satisfy for this one offender makes every call fail server-side.
    await t.db.query(
      "alter table public.user_behaviors add constraint no_failing_user check (platform_user_id <> 'failing_user')",
    );
    try {
      const failing = await runConcurrentActions(t.url, {
        platform: 'twitter',
        platformUserId: 'failing_user',
        actions: 6,
      });
      expect(failing).toMatchObject({ succeeded: 0, failed: 6, lost: 0, verdict: 'failed_calls' });
      expect(failing.errors).toEqual([
        expect.objectContaining({ sqlState: '23514', count: 6, message: expect.stringContaining('no_failing_user') }),
      ]);
    } finally {
      await t.db.query('alter table public.user_behaviors drop constraint no_failing_user');
    }
  });

  const badOptions: [string, Record<string, unknown>, string][] = [
    ['an empty user id', { platformUserId: '  ' }, 'user id must not be empty'],
    [
      'a user id over 256 characters',
      { platformUserId: 'u'.repeat(257) },
      'user id must be at most 256 characters, got 257',
    ],
    ['a platform with capitals', { platform: 'Twitter' }, 'platform must be a lower-case name'],
    ['0 actions', { actions: 0 }, 'actions must be a whole number between 1 and 10000, got 0'],
    ['10001 actions', { actions: 10_001 }, 'actions must be a whole number between 1 and 10000, got 10001'],
    ['0 connections', { connections: 0 }, 'connections must be a whole number between 1 and 100, got 0'],
    ['an unknown writer', { writer: 'optimistic' }, 'unknown behaviour writer "optimistic"'],
  ];
  for (const [what, change, message] of badOptions) {
    it(`refuses ${what} before touching the database`, async () => {
      const options = { platform: 'twitter', platformUserId: 'bad_input', actions: 5, ...change };
      // An unreachable URL proves validation happens before any connection is made.
      const error = await runConcurrentActions('postgres://nobody:secret@127.0.0.1:1/none', options as never).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toContain(message);
    });
  }
});

describe('verifyBehaviourCount', () => {
  beforeAll(async () => {
    await runConcurrentActions(t.url, { platform: 'youtube', platformUserId: 'verify_me', actions: 5, reset: true });
  });
  const check = (expected: number, platformUserId = 'verify_me') =>
    verifyBehaviourCount(t.db, { platform: 'youtube', platformUserId, expected });

  it('exact', async () => {
    expect(await check(5)).toEqual({
      organizationId: testOrganizationId,
      platform: 'youtube',
      platformUserId: 'verify_me',
      expected: 5,
      actual: 5,
      status: 'exact',
      difference: 0,
    });
  });
  it('lost', async () => {
    expect(await check(7)).toMatchObject({ actual: 5, status: 'lost', difference: -2 });
  });
  it('extra', async () => {
    expect(await check(4)).toMatchObject({ actual: 5, status: 'extra', difference: 1 });
  });
  it('missing: no row counts as every update lost (and as exact when nothing was expected)', async () => {
    expect(await check(3, 'nobody_here')).toMatchObject({ actual: 0, status: 'missing', difference: -3 });
    expect(await check(0, 'nobody_here')).toMatchObject({ actual: 0, status: 'exact', difference: 0 });
  });
  it('refuses an organization that does not exist', async () => {
    await expect(
      verifyBehaviourCount(t.db, {
        organizationId: '99999999-9999-9999-9999-999999999999',
        platform: 'youtube',
        platformUserId: 'verify_me',
        expected: 5,
      }),
    ).rejects.toThrow(UsageError);
  });
});
