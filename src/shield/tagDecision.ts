import { assertToxicity } from './severity.js';
import type { ShieldTag } from './tags.js';

/** Toxicity bounds of the tag decision; a score exactly on a bound takes the stronger response. */
export const tagThresholds = { track: 0.3, hide: 0.85, block: 0.95 } as const;

/**
 * The action tags for a comment with this toxicity score.
 *  - below 0.30: nothing (not a violation);
 *  - 0.30 – 0.85: track only — the violation is counted and reincidence decides;
 *  - 0.85 – 0.95: hide the comment, one strike, reincidence;
 *  - 0.95 and up: hide, block, report the content, two strikes, reincidence.
 *
 * @example
 * tagsFromToxicity(0.9); // ['hide_comment', 'add_strike_1', 'check_reincidence']
 */
export function tagsFromToxicity(toxicity: number): ShieldTag[] {
  assertToxicity(toxicity);
  if (toxicity >= tagThresholds.block) {
    return ['hide_comment', 'block_user', 'report_to_platform', 'add_strike_2', 'check_reincidence'];
  }
  if (toxicity >= tagThresholds.hide) return ['hide_comment', 'add_strike_1', 'check_reincidence'];
  if (toxicity >= tagThresholds.track) return ['check_reincidence'];
  return [];
}
