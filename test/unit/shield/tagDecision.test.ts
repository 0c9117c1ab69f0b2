import { describe, expect, it } from 'vitest';
import { tagsFromToxicity } from '../../../src/shield/tagDecision.js';
import { isShieldTag } from '../../../src/shield/tags.js';

const hideTags = ['hide_comment', 'add_strike_1', 'check_reincidence'];
const blockTags = ['hide_comment', 'block_user', 'report_to_platform', 'add_strike_2', 'check_reincidence'];

describe('tagsFromToxicity', () => {
  it.each([
    [0, []],
    [0.2999, []],
    [0.3, ['check_reincidence']],
    [0.6, ['check_reincidence']],
    [0.8499, ['check_reincidence']],
    [0.85, hideTags],
    [0.9499, hideTags],
    [0.95, blockTags],
    [1, blockTags],
  ])('%s → %j', (toxicity, tags) => {
    expect(tagsFromToxicity(toxicity)).toEqual(tags);
  });

  it('only ever produces known tags', () => {
    for (let score = 0; score <= 1; score += 0.01) {
      for (const tag of tagsFromToxicity(score)) expect(isShieldTag(tag)).toBe(true);
    }
  });

  it.each([Number.NaN, -1, 2])('refuses %s rather than picking an action', (toxicity) => {
    expect(() => tagsFromToxicity(toxicity)).toThrow(RangeError);
  });
});
