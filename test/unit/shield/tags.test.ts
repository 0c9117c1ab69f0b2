import { describe, expect, it } from 'vitest';
import { isShieldTag, isStateMutating, partitionTags, shieldTags, tagActions } from '../../../src/shield/tags.js';

describe('tags', () => {
  it('exactly the strikes and the reincidence check mutate state', () => {
    expect(shieldTags.filter(isStateMutating)).toEqual(['add_strike_1', 'add_strike_2', 'check_reincidence']);
  });

  it('every tag is state-mutating, internal, or has a platform action', () => {
    const internal = ['require_manual_review'];
    for (const tag of shieldTags) {
      expect(isStateMutating(tag) || internal.includes(tag) || tagActions[tag] !== undefined).toBe(true);
    }
  });

  it('orders state-mutating tags strikes-first whatever order they came in (M1)', () => {
    expect(partitionTags(['check_reincidence', 'hide_comment', 'add_strike_2', 'block_user', 'add_strike_1'])).toEqual({
      ordered: ['add_strike_1', 'add_strike_2', 'check_reincidence'],
      parallel: ['hide_comment', 'block_user'],
    });
  });

  it.each(['HIDE_COMMENT', 'nuke_account', '', 42, null])('%j is not a tag', (value) => {
    expect(isShieldTag(value)).toBe(false);
  });
});
