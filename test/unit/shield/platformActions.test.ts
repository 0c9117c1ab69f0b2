import { describe, expect, it } from 'vitest';
import { escalationActions } from '../../../src/shield/escalation.js';
import {
  escalationModerationAction,
  platformActionFor,
  platformActionTable,
} from '../../../src/shield/platformActions.js';
import { platforms } from '../../../src/shield/platforms.js';
import { tagActions } from '../../../src/shield/tags.js';

describe('platform action names', () => {
  it.each([
    ['twitter', 'hide_content', 'hide_reply'],
    ['twitter', 'block_user', 'block_user'],
    ['twitter', 'report_content', 'report_spam'],
    ['discord', 'mute_temp', 'timeout_member'],
    ['discord', 'hide_content', 'delete_message'],
    ['discord', 'block_user', 'ban_member'],
    ['twitch', 'mute_temp', 'timeout_user'],
    ['twitch', 'warn_user', 'warn_chat_user'],
    ['youtube', 'hide_content', 'reject_comment'],
    ['youtube', 'block_user', 'ban_author'],
    ['instagram', 'hide_content', 'hide_comment'],
    ['facebook', 'block_user', 'ban_user'],
    ['bluesky', 'report_user', 'create_report'],
  ] as const)('%s %s → %s', (platform, action, name) => {
    expect(platformActionFor(platform, action)).toEqual({ supported: true, platformAction: name });
  });

  it.each([
    ['twitter', 'mute_temp', /mute_temp is not possible on twitter: X mutes have no duration/],
    ['discord', 'report_user', /report_user is not possible on discord/],
    ['instagram', 'block_user', /block_user is not possible on instagram/],
  ] as const)('%s cannot %s: skipped with a reason', (platform, action, reason) => {
    const resolution = platformActionFor(platform, action);
    expect(resolution.supported).toBe(false);
    if (!resolution.supported) expect(resolution.reason).toMatch(reason);
  });

  it('every platform can at least hide content (the one action every tag set above 0.85 needs)', () => {
    for (const platform of platforms) expect(platformActionFor(platform, 'hide_content').supported).toBe(true);
  });

  it('the table has a cell for every platform × every action a tag or escalation can ask for', () => {
    const needed = new Set([
      ...Object.values(tagActions),
      ...escalationActions.map((e) => escalationModerationAction[e]).filter((a) => a !== null),
    ]);
    for (const platform of platforms) {
      expect(Object.keys(platformActionTable[platform]).sort()).toEqual([...needed].sort());
    }
  });

  it('escalate goes to a human, never straight to a platform', () => {
    expect(escalationModerationAction.escalate).toBeNull();
  });
});
