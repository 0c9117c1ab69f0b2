import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, UsageError } from '../../src/errors.js';
import { actionsTakenLimit } from '../../src/shield/writers/legacyState.js';
import { writerFor } from '../../src/shield/writers/index.js';
import type { BehaviourSnapshot, BehaviourWriter, Offender, Violation } from '../../src/shield/writers/types.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;
let organizationId: string;

beforeAll(async () => {
  t = await freshDatabase();
  const { rows } = await t.db.query<{ id: string }>(
    "insert into public.organizations (name) values ('writers') returning id",
  );
  organizationId = rows[0]!.id;
});
afterAll(async () => t?.drop());

const rpc = writerFor('rpc');
const legacy = writerFor('legacy');

function offender(platformUserId: string): Offender {
  return { organizationId, platform: 'twitter', platformUserId, platformUsername: `${platformUserId}_name` };
}

const sequence: Violation[] = [
  { severity: 'medium', toxicityScore: 0.75, commentId: 'c1', actionTags: ['warning'] },
  { severity: 'low', toxicityScore: null, commentId: 'c2', actionTags: [] },
  { severity: 'critical', toxicityScore: 0.97, commentId: 'c3', actionTags: ['block', 'report'] },
  { severity: 'medium', toxicityScore: 0.5, commentId: 'c4', actionTags: ['mute_temp'] },
  { severity: 'high', toxicityScore: 1, commentId: 'c5', actionTags: ['add_strike_1'] },
];

async function record(writer: BehaviourWriter, who: Offender, violations: readonly Violation[]) {
  const snapshots: BehaviourSnapshot[] = [];
  for (const v of violations) snapshots.push(await writer.recordViolation(t.db, who, v));
  return snapshots;
}

interface StoredRow {
  platform_username: string | null;
  total_violations: number;
  severity_counts: Record<string, number>;
  actions_taken: Record<string, unknown>[];
  strikes: number;
  has_last_violation: boolean;
}

/** The row as both writers should leave it, minus the moments they wrote it. */
async function storedRow(who: Offender) {
  const { rows } = await t.db.query<StoredRow>(
    `select platform_username, total_violations, severity_counts, actions_taken, strikes,
            last_violation_at is not null as has_last_violation
       from public.user_behaviors where organization_id = $1 and platform = $2 and platform_user_id = $3`,
    [who.organizationId, who.platform, who.platformUserId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { ...row, actions_taken: row.actions_taken.map(({ timestamp: _timestamp, ...entry }) => entry) };
}

const withoutTime = ({ lastViolationAt: _at, ...rest }: BehaviourSnapshot) => rest;

describe('rpc and legacy writers', () => {
  it('produce identical snapshots and rows for the same sequential input', async () => {
    const viaRpc = await record(rpc, offender('same_rpc'), sequence);
    const viaLegacy = await record(legacy, offender('same_legacy'), sequence);

    expect(viaRpc.map(withoutTime).map((s) => ({ ...s, userId: 'x' }))).toEqual(
      viaLegacy.map(withoutTime).map((s) => ({ ...s, userId: 'x' })),
    );
    expect(viaRpc.at(-1)).toMatchObject({
      userId: 'same_rpc',
      organizationId,
      totalViolations: 5,
      severityCounts: { low: 1, medium: 2, high: 1, critical: 1 },
    });
    for (const s of [...viaRpc, ...viaLegacy]) expect(s.lastViolationAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);

    const rpcRow = await storedRow(offender('same_rpc'));
    const legacyRow = await storedRow(offender('same_legacy'));
    expect(rpcRow).toEqual({ ...legacyRow, platform_username: 'same_rpc_name' });
    expect(rpcRow?.actions_taken[0]).toEqual({
      comment_id: 'c1',
      action_tags: ['warning'],
      severity: 'medium',
      toxicity_score: 0.75,
    });
  });

  it(`both keep only the newest ${actionsTakenLimit} entries of actions_taken`, async () => {
    const many = Array.from(
      { length: actionsTakenLimit + 3 },
      (_, i): Violation => ({
        severity: 'low',
        toxicityScore: 0.1,
        commentId: `bulk-${i + 1}`,
        actionTags: ['warning'],
      }),
    );
    await record(rpc, offender('bulk_rpc'), many);
    await record(legacy, offender('bulk_legacy'), many);
    for (const who of ['bulk_rpc', 'bulk_legacy']) {
      const row = await storedRow(offender(who));
      expect(row?.total_violations).toBe(actionsTakenLimit + 3);
      expect(row?.actions_taken).toHaveLength(actionsTakenLimit);
      expect(row?.actions_taken[0]?.comment_id).toBe('bulk-4');
      expect(row?.actions_taken.at(-1)?.comment_id).toBe(`bulk-${actionsTakenLimit + 3}`);
    }
  });

  it('add strikes the same way', async () => {
    for (const writer of [rpc, legacy]) {
      const who = offender(`strikes_${writer.name}`);
      const first = await writer.addStrikes(t.db, who, 1, 'add_strike_1');
      const second = await writer.addStrikes(t.db, who, 2, 'add_strike_2');
      expect(first).toMatchObject({ userId: who.platformUserId, organizationId, strikes: 1 });
      expect(second).toMatchObject({ strikes: 3 });
      expect(Date.parse(second.lastStrikeAt)).toBeGreaterThanOrEqual(Date.parse(first.lastStrikeAt));
      expect((await storedRow(who))?.strikes).toBe(3);
    }
  });

  it('violation and strikes together: the same row from both writers; rpc in one round trip, legacy in one per write', async () => {
    for (const [writer, trips] of [
      [rpc, 1],
      [legacy, 6],
    ] as const) {
      const who = offender(`together_${writer.name}`);
      t.db.resetRoundTrips();
      const recorded = await writer.recordViolationWithStrikes(t.db, who, sequence[0]!, [
        { strikes: 1, reason: 'add_strike_1' },
        { strikes: 2, reason: 'add_strike_2' },
      ]);
      expect(t.db.roundTrips).toBe(trips);
      expect(recorded.behaviour).toMatchObject({ userId: who.platformUserId, totalViolations: 1 });
      // In order: the second strike's snapshot already counts the first.
      expect(recorded.strikes).toMatchObject([
        { ok: true, snapshot: { strikes: 1 } },
        { ok: true, snapshot: { strikes: 3 } },
      ]);
      expect(await storedRow(who)).toMatchObject({ total_violations: 1, strikes: 3 });
    }
  });

  it('rpc: a strike the function refuses fails the whole statement, so the violation is not counted either', async () => {
    const who = offender('together_refused');
    await rpc.recordViolation(t.db, who, sequence[0]!);
    const before = await storedRow(who);
    await expect(
      rpc.recordViolationWithStrikes(t.db, who, sequence[1]!, [
        { strikes: 1, reason: 'ok' },
        { strikes: 3 as never, reason: 'too many' },
      ]),
    ).rejects.toMatchObject({ sqlState: '22023' });
    expect(await storedRow(who)).toEqual(before);
  });

  it('legacy: a refused strike is reported on its own, after the violation was counted (the original had no atomicity)', async () => {
    const who = offender('together_legacy_refused');
    const recorded = await legacy.recordViolationWithStrikes(t.db, who, sequence[0]!, [{ strikes: 1, reason: 'ok' }]);
    expect(recorded.strikes).toMatchObject([{ ok: true }]);
    const spoilt = {
      ...legacy,
      addStrikes: () => Promise.reject(new DatabaseError('strike refused', { sqlState: '22023' })),
    };
    const second = await legacy.recordViolationWithStrikes.call(spoilt, t.db, who, sequence[1]!, [
      { strikes: 1, reason: 'x' },
    ]);
    expect(second.behaviour.totalViolations).toBe(2);
    expect(second.strikes).toMatchObject([{ ok: false, error: { message: 'strike refused' } }]);
  });

  it('rpc: one round trip per call; legacy: two (read, then write)', async () => {
    for (const [writer, trips] of [
      [rpc, 1],
      [legacy, 2],
    ] as const) {
      t.db.resetRoundTrips();
      await writer.recordViolation(t.db, offender(`trips_${writer.name}`), sequence[0]!);
      expect(t.db.roundTrips).toBe(trips);
    }
  });
});

describe('rpc writer, bad input', () => {
  const bad: [string, Record<string, unknown>, string][] = [
    ['an unknown severity', { severity: 'extreme' }, '22023'],
    ['a toxicity score above 1', { toxicityScore: 1.5 }, '22023'],
    ['a toxicity score that is a string', { toxicityScore: '0.5' }, '22P02'],
    ['an empty comment id', { commentId: '' }, '22023'],
    ['a tag that is not a string', { actionTags: [42] }, '22P02'],
  ];
  for (const [what, change, sqlState] of bad) {
    it(`rejects ${what} with SQLSTATE ${sqlState} and writes nothing`, async () => {
      const who = offender(`bad_${sqlState}_${what.replace(/\W+/g, '_')}`);
      const violation = { ...sequence[0]!, ...change } as Violation;
      const error = await rpc.recordViolation(t.db, who, violation).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseError);
      expect((error as DatabaseError).sqlState).toBe(sqlState);
      expect((error as DatabaseError).message).toMatch(/^atomic_update_user_behavior: /);
      expect(await storedRow(who)).toBeUndefined();
    });
  }

  it('leaves an existing row untouched when the input is bad', async () => {
    const who = offender('bad_existing');
    await rpc.recordViolation(t.db, who, sequence[0]!);
    const before = await storedRow(who);
    await expect(rpc.recordViolation(t.db, who, { ...sequence[0]!, severity: 'nope' as never })).rejects.toThrow(
      DatabaseError,
    );
    await expect(rpc.addStrikes(t.db, who, 3 as never, 'x')).rejects.toMatchObject({ sqlState: '22023' });
    expect(await storedRow(who)).toEqual(before);
  });

  it('legacy: refuses an unknown severity before reading or writing', async () => {
    const who = offender('bad_legacy');
    t.db.resetRoundTrips();
    await expect(legacy.recordViolation(t.db, who, { ...sequence[0]!, severity: 'nope' as never })).rejects.toThrow(
      'severity must be one of low, medium, high, critical, got "nope"',
    );
    expect(t.db.roundTrips).toBe(0);
    expect(await storedRow(who)).toBeUndefined();
  });

  it('refuses an unknown writer name', () => {
    expect(() => writerFor('optimistic')).toThrow(UsageError);
    expect(() => writerFor('optimistic')).toThrow('unknown behaviour writer "optimistic": use one of rpc, legacy');
  });
});
