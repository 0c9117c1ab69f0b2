import { describe, expect, it } from 'vitest';
import { type PlanContext, muteTempSeconds, planActions } from '../../../src/shield/actionPlan.js';

const context = (overrides: Partial<PlanContext> = {}): PlanContext => ({
  platform: 'discord',
  commentId: 'c1',
  platformUserId: 'u1',
  platformUsername: 'troll',
  severity: 'high',
  offenseLevel: 'first',
  strikeOutcomes: {},
  ...overrides,
});

describe('planActions', () => {
  it('names platform actions in the platform vocabulary and leaves the queue/record choice to the database', () => {
    const [hide, mute] = planActions(['hide_comment', 'mute_temp'], context());
    expect(hide).toMatchObject({ tag: 'hide_comment', platformAction: 'delete_message', disposition: 'platform' });
    expect(mute).toMatchObject({
      platformAction: 'timeout_member',
      jobPayload: { duration_seconds: muteTempSeconds, comment_id: 'c1' },
    });
  });

  it('skips with a reason what the platform cannot do', () => {
    const [mute] = planActions(['mute_temp'], context({ platform: 'twitter' }));
    expect(mute).toMatchObject({
      disposition: 'skipped',
      platformAction: null,
      reason: expect.stringMatching(/X mutes have no duration/),
    });
  });

  it('turns check_reincidence into the escalation matrix response for severity × offence level', () => {
    const [first] = planActions(['check_reincidence'], context({ severity: 'medium', offenseLevel: 'first' }));
    expect(first).toMatchObject({
      platformAction: 'send_warning_dm',
      details: { escalation: 'warn', moderation_action: 'warn_user' },
    });
    const [repeat] = planActions(['check_reincidence'], context({ severity: 'medium', offenseLevel: 'repeat' }));
    expect(repeat).toMatchObject({ platformAction: 'timeout_member', details: { escalation: 'mute_temp' } });
    const [human] = planActions(['check_reincidence'], context({ severity: 'critical', offenseLevel: 'dangerous' }));
    expect(human).toMatchObject({ disposition: 'recorded', platformAction: null, reason: 'escalated to a moderator' });
  });

  it('records strikes with the count they left, and fails a strike that did not apply', () => {
    const snapshot = { userId: 'u1', organizationId: 'o', strikes: 3, lastStrikeAt: '2025-01-01T00:00:00.000Z' };
    const [one, two] = planActions(
      ['add_strike_1', 'add_strike_2'],
      context({
        strikeOutcomes: {
          add_strike_1: { ok: true, snapshot },
          add_strike_2: { ok: false, reason: 'strike not applied: boom' },
        },
      }),
    );
    expect(one).toMatchObject({ disposition: 'recorded', details: { strikes_after: 3 } });
    expect(two).toMatchObject({ disposition: 'failed', reason: 'strike not applied: boom' });
  });

  it('keeps manual review internal', () => {
    expect(planActions(['require_manual_review'], context())[0]).toMatchObject({
      disposition: 'recorded',
      jobPayload: null,
    });
  });
});

describe('planActions: one platform call per platform action', () => {
  it('records, but does not queue again, an escalation an explicit tag already covers', () => {
    const plan = planActions(
      ['block_user', 'check_reincidence'],
      context({ severity: 'critical', offenseLevel: 'first' }),
    );
    expect(plan[1]).toMatchObject({
      tag: 'check_reincidence',
      platformAction: 'ban_member',
      disposition: 'recorded',
      reason: 'ban_member is already queued by block_user',
      jobPayload: null,
    });
  });

  it('queues the escalation when nothing else does the same', () => {
    const plan = planActions(
      ['hide_comment', 'check_reincidence'],
      context({ severity: 'critical', offenseLevel: 'first' }),
    );
    expect(plan[1]).toMatchObject({ platformAction: 'ban_member', disposition: 'platform' });
  });
});
