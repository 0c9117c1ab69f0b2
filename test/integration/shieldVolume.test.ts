import { describe, expect, it } from 'vitest';
import { executeActionsFromTags } from '../../src/shield/executeActions.js';
import { writerFor } from '../../src/shield/writers/index.js';
import type { BehaviourWriter } from '../../src/shield/writers/types.js';
import { useShieldDatabase } from './shieldFixtures.js';

// Seed Shield E2E scenarios 9-12 (high volume, latency, audit trail, behaviour tracking);
// the list of all twelve is in shieldFixtures.ts.
const shield = useShieldDatabase();

describe('Shield E2E: volume and latency', () => {
  it('100 concurrent calls on one offender: exactly 100 violations, 100 strikes, 300 audit rows', async () => {
    const who = shield.offender('discord');
    const tags = ['hide_comment', 'add_strike_1', 'check_reincidence'];
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        executeActionsFromTags(shield.deps, shield.org, who.comment(), tags, { toxicity_score: 0.9 }),
      ),
    );
    expect(results.every((r) => r.success)).toBe(true);
    // Every call saw its own count: the increments were serialised, none lost.
    expect(results.map((r) => r.behaviour!.totalViolations).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect(await shield.behaviourOf(who.user)).toMatchObject({
      total_violations: 100,
      strikes: 100,
      severity_counts: { critical: 100 },
    });
    const { rows } = await shield.db.query<{ n: number }>(
      'select count(*)::int as n from public.shield_actions where platform_user_id = $1',
      [who.user],
    );
    expect(rows[0]!.n).toBe(300);
  });

  it('latency and round trips per call stay sane (figures printed for docs/shield-service.md)', async () => {
    const figures: Record<string, { roundTrips: number; p50: number; p95: number }> = {};
    for (const [name, tags] of Object.entries({
      track: ['check_reincidence'],
      hide: ['hide_comment', 'check_reincidence'],
      hideStrike: ['hide_comment', 'add_strike_1', 'check_reincidence'],
      block: ['hide_comment', 'block_user', 'report_to_platform', 'add_strike_2', 'check_reincidence'],
    })) {
      for (const writerName of ['rpc', 'legacy'] as const) {
        const who = shield.offender('twitter');
        const latencies: number[] = [];
        const trips = new Set<number>();
        for (let i = 0; i < 30; i++) {
          const r = await executeActionsFromTags(
            { db: shield.db, writer: writerFor(writerName) },
            shield.org,
            who.comment(),
            tags,
            { toxicity_score: 0.9 },
          );
          latencies.push(r.latencyMs);
          trips.add(r.roundTrips);
        }
        latencies.sort((a, b) => a - b);
        expect(trips.size).toBe(1);
        figures[`${writerName} ${name} (${tags.length} tags)`] = {
          roundTrips: [...trips][0]!,
          p50: latencies[14]!,
          p95: latencies[28]!,
        };
      }
    }
    console.info(JSON.stringify(figures, null, 2));
    expect(figures['rpc track (1 tags)']!.roundTrips).toBe(2);
    expect(figures['rpc hide (2 tags)']!.roundTrips).toBe(2);
    expect(figures['rpc hideStrike (3 tags)']!.roundTrips).toBe(2);
    expect(figures['rpc block (5 tags)']!.roundTrips).toBe(2);
    expect(figures['legacy hide (2 tags)']!.roundTrips).toBe(3);
    for (const figure of Object.values(figures)) expect(figure.p95).toBeLessThan(1000);
  });
});

describe('Shield E2E: audit trail and behaviour tracking', () => {
  it('every action leaves a row: tag, platform action, status, reason, severity, offence level, metadata, job link', async () => {
    const comment = shield.offender('youtube').comment();
    await executeActionsFromTags(
      shield.deps,
      shield.org,
      comment,
      ['hide_comment', 'mute_temp', 'add_strike_1', 'require_manual_review'],
      {
        toxicity_score: 0.88,
        model: 'perspective-v1',
      },
    );
    const common = { severity: 'critical', offense_level: 'first' };
    expect(await shield.auditOf(comment.id)).toEqual([
      expect.objectContaining({
        ...common,
        action_tag: 'add_strike_1',
        status: 'recorded',
        platform_action: null,
        metadata: expect.objectContaining({ strikes_after: 1 }),
      }),
      expect.objectContaining({
        ...common,
        action_tag: 'hide_comment',
        status: 'queued',
        platform_action: 'reject_comment',
        job_action: 'reject_comment',
        job_status: 'queued',
      }),
      expect.objectContaining({
        ...common,
        action_tag: 'mute_temp',
        status: 'skipped',
        reason: expect.stringMatching(/YouTube has no timed mute/),
        job_action: null,
      }),
      expect.objectContaining({
        ...common,
        action_tag: 'require_manual_review',
        status: 'recorded',
        reason: 'waiting for a moderator',
      }),
    ]);
    expect((await shield.auditOf(comment.id))[1]!.metadata).toEqual({
      request: { toxicity_score: 0.88, model: 'perspective-v1' },
      writer: 'rpc',
      moderation_action: 'hide_content',
    });
  });

  it('a repeat offender climbs the offence levels and the escalation matrix answers each step', async () => {
    const who = shield.offender('discord');
    const seen: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const { result } = await shield.moderate('discord', 0.5, who); // medium, check_reincidence only
      seen.push(`${result.behaviour!.totalViolations}:${result.offenseLevel}:${result.actions[0]!.platformAction}`);
    }
    expect(seen).toEqual([
      '1:first:send_warning_dm',
      '2:repeat:timeout_member',
      '3:repeat:timeout_member',
      '4:repeat:timeout_member',
      '5:persistent:add_muted_role',
      '6:persistent:add_muted_role',
      '7:persistent:add_muted_role',
      '8:persistent:add_muted_role',
      '9:persistent:add_muted_role',
      '10:dangerous:ban_member',
    ]);
    expect(await shield.behaviourOf(who.user)).toMatchObject({
      total_violations: 10,
      severity_counts: { low: 0, medium: 10, high: 0, critical: 0 },
    });
  });

  it('M1 and M3: one writer call per Shield call, the strikes in order whatever order the tags came in, in one round trip with rpc', async () => {
    const calls: string[] = [];
    const rpc = writerFor('rpc');
    const spy: BehaviourWriter = {
      ...rpc,
      recordViolationWithStrikes: (db, who, violation, strikes) => {
        calls.push(`recordViolationWithStrikes(${strikes.map((s) => s.strikes).join(',')})`);
        return rpc.recordViolationWithStrikes(db, who, violation, strikes);
      },
    };
    const tags = ['check_reincidence', 'add_strike_2', 'hide_comment', 'add_strike_1'];
    const result = await executeActionsFromTags(
      { db: shield.db, writer: spy },
      shield.org,
      shield.offender('twitch').comment(),
      tags,
      { toxicity_score: 0.99 },
    );
    expect(calls).toEqual(['recordViolationWithStrikes(1,2)']);
    expect(result).toMatchObject({ roundTrips: 2, strikes: { strikes: 3 }, offenseLevel: 'repeat' }); // 3 strikes reach 'repeat'
  });
});
