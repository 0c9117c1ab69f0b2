import { describe, expect, it } from 'vitest';
import { executeActionsFromTags } from '../../src/shield/executeActions.js';
import type { ShieldResult } from '../../src/shield/result.js';
import { writerFor } from '../../src/shield/writers/index.js';
import { outcomes, useShieldDatabase } from './shieldFixtures.js';

// Seed Shield E2E scenarios 1-5 (moderation flows, platform-specific actions), plus the
// autoActions gate and the legacy writer; the list of all twelve is in shieldFixtures.ts.
const shield = useShieldDatabase();

describe('Shield E2E: complete moderation flow', () => {
  it('toxic content (0.97): hide, block, report, two strikes, reincidence — jobs queued, nothing called inline', async () => {
    const { result, comment, who } = await shield.moderate('twitter', 0.97);
    expect(result).toMatchObject({
      success: true,
      severity: 'critical',
      offenseLevel: 'first',
      failedActions: [],
      roundTrips: 2,
    });
    expect(result.behaviour).toMatchObject({ userId: who.user, totalViolations: 1, severityCounts: { critical: 1 } });
    expect(result.strikes).toMatchObject({ strikes: 2 });
    expect(outcomes(result)).toEqual({
      hide_comment: ['queued', 'hide_reply'],
      block_user: ['queued', 'block_user'],
      report_to_platform: ['queued', 'report_spam'],
      add_strike_2: ['recorded', null],
      // critical × first → block, which block_user already queues: recorded, not called twice.
      check_reincidence: ['recorded', 'block_user'],
    });
    const audit = await shield.auditOf(comment.id);
    expect(
      audit
        .filter((row) => row.job_status === 'queued')
        .map((row) => row.job_action)
        .sort(),
    ).toEqual(['block_user', 'hide_reply', 'report_spam']);
    expect(await shield.behaviourOf(who.user)).toMatchObject({ total_violations: 1, strikes: 2 });
  });

  it('borderline content (0.5): tracked, and the reincidence check warns a first offender', async () => {
    const { result, comment } = await shield.moderate('discord', 0.5);
    expect(result).toMatchObject({ success: true, severity: 'medium', offenseLevel: 'first', roundTrips: 2 });
    expect(outcomes(result)).toEqual({ check_reincidence: ['queued', 'send_warning_dm'] });
    expect(await shield.auditOf(comment.id)).toMatchObject([
      { metadata: { escalation: 'warn' }, job_status: 'queued' },
    ]);
  });

  it('benign content (0.1): no tags, no violation, no round trip', async () => {
    const before = await shield.tableCounts();
    const { result, who } = await shield.moderate('twitch', 0.1);
    expect(result).toMatchObject({ success: true, severity: 'low', behaviour: null, actions: [], roundTrips: 0 });
    expect(await shield.behaviourOf(who.user)).toBeUndefined();
    expect(await shield.tableCounts()).toEqual(before);
  });
});

describe('Shield E2E: platform-specific actions', () => {
  const tags = ['hide_comment', 'mute_temp', 'mute_permanent', 'block_user', 'report_user'];

  it('Twitter: hide_reply, no timed mute (skipped with a reason), mute_user, block_user, report_spam', async () => {
    const comment = shield.offender('twitter').comment();
    const result = await executeActionsFromTags(shield.deps, shield.org, comment, tags, { toxicity_score: 0.9 });
    expect(outcomes(result)).toEqual({
      hide_comment: ['queued', 'hide_reply'],
      mute_temp: ['skipped', null],
      mute_permanent: ['queued', 'mute_user'],
      block_user: ['queued', 'block_user'],
      report_user: ['queued', 'report_spam'],
    });
    expect(result.actions.find((a) => a.tag === 'mute_temp')?.reason).toMatch(/X mutes have no duration/);
    expect(result.success).toBe(true); // skipped is an answer, not a failure
  });

  it('Discord: delete_message, timeout_member with a duration, add_muted_role, ban_member, no report API', async () => {
    const comment = shield.offender('discord').comment();
    const result = await executeActionsFromTags(shield.deps, shield.org, comment, tags, { toxicity_score: 0.9 });
    expect(outcomes(result)).toEqual({
      hide_comment: ['queued', 'delete_message'],
      mute_temp: ['queued', 'timeout_member'],
      mute_permanent: ['queued', 'add_muted_role'],
      block_user: ['queued', 'ban_member'],
      report_user: ['skipped', null],
    });
    const timeout = (await shield.auditOf(comment.id)).find((row) => row.job_action === 'timeout_member');
    expect(timeout?.job_payload).toMatchObject({
      comment_id: comment.id,
      platform_user_id: comment.platform_user_id,
      duration_seconds: 86_400,
    });
  });
});

describe('autoActions gate and the legacy writer', () => {
  it('auto_actions = false: actions recorded with a reason, no job queued, no extra round trip; switching it on applies at once', async () => {
    const gated = await shield.newOrganization({ auto_actions: false });
    const who = shield.offender('discord');
    const off = await shield.moderate('discord', 0.9, who, { org: gated });
    expect(off.result).toMatchObject({ success: true, roundTrips: 2 });
    expect(off.result.actions.filter((a) => a.platformAction === 'delete_message')).toEqual([
      expect.objectContaining({ status: 'recorded', reason: 'auto actions are off for this organization' }),
    ]);
    expect((await shield.auditOf(off.comment.id)).every((row) => row.job_action === null)).toBe(true);
    await shield.db.query(`update public.organizations set settings = '{"auto_actions": true}' where id = $1`, [gated]);
    const on = await shield.moderate('discord', 0.9, who, { org: gated });
    expect(on.result.actions.find((a) => a.tag === 'hide_comment')).toMatchObject({
      status: 'queued',
      platformAction: 'delete_message',
    });
  });

  it('the legacy writer gives the same results sequentially (it only costs more round trips)', async () => {
    const strip = (r: ShieldResult) => ({
      ...r,
      latencyMs: 0,
      roundTrips: 0,
      behaviour: { ...r.behaviour, userId: '', lastViolationAt: '' },
      strikes: r.strikes && { ...r.strikes, userId: '', lastStrikeAt: '' },
      commentId: '',
      actions: r.actions.map(({ actionId: _a, jobId: _j, ...rest }) => rest),
    });
    const rpcWho = shield.offender('twitter');
    const legacyWho = shield.offender('twitter');
    const legacyDeps = { db: shield.db, writer: writerFor('legacy') };
    for (const toxicity of [0.4, 0.9, 0.97, 0.5, 0.86, 0.99, 0.6]) {
      const viaRpc = await shield.moderate('twitter', toxicity, rpcWho);
      const viaLegacy = await shield.moderate('twitter', toxicity, legacyWho, { deps: legacyDeps });
      expect(strip(viaLegacy.result)).toEqual(strip(viaRpc.result));
      expect(viaLegacy.result.roundTrips).toBeGreaterThan(viaRpc.result.roundTrips);
    }
    const [a, b] = [await shield.behaviourOf(rpcWho.user), await shield.behaviourOf(legacyWho.user)];
    expect({ ...b, actions_taken: [] }).toEqual({ ...a, actions_taken: [] });
  });
});
