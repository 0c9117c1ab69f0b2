/**
 * Every action tag Shield understands. Tags name what to do; the platform
 * action table (platformActions.ts) names how each platform calls it.
 */
export const shieldTags = [
  'hide_comment',
  'block_user',
  'mute_temp',
  'mute_permanent',
  'warn_user',
  'report_user',
  'report_to_platform',
  'add_strike_1',
  'add_strike_2',
  'check_reincidence',
  'require_manual_review',
] as const;

export type ShieldTag = (typeof shieldTags)[number];

/**
 * Tags that change the offender's state and whose order matters (M1): strikes
 * first, then the reincidence check that reads the state they leave behind.
 */
export const stateMutatingTags = [
  'add_strike_1',
  'add_strike_2',
  'check_reincidence',
] as const satisfies readonly ShieldTag[];

export type StateMutatingTag = (typeof stateMutatingTags)[number];

/** What a platform is asked to do, independent of the platform's own vocabulary. */
export type ModerationAction =
  | 'hide_content'
  | 'block_user'
  | 'mute_temp'
  | 'mute_permanent'
  | 'warn_user'
  | 'report_user'
  | 'report_content';

/** The platform action behind each platform-facing tag; tags absent here never reach a platform. */
export const tagActions: Readonly<Partial<Record<ShieldTag, ModerationAction>>> = {
  hide_comment: 'hide_content',
  block_user: 'block_user',
  mute_temp: 'mute_temp',
  mute_permanent: 'mute_permanent',
  warn_user: 'warn_user',
  report_user: 'report_user',
  report_to_platform: 'report_content',
};

export function isShieldTag(value: unknown): value is ShieldTag {
  return typeof value === 'string' && (shieldTags as readonly string[]).includes(value);
}

export function isStateMutating(tag: ShieldTag): tag is StateMutatingTag {
  return (stateMutatingTags as readonly string[]).includes(tag);
}

/**
 * Splits tags into the ordered state-mutating ones (always in stateMutatingTags
 * order, whatever order the caller gave) and the rest (order irrelevant).
 */
export function partitionTags(tags: readonly ShieldTag[]): { ordered: StateMutatingTag[]; parallel: ShieldTag[] } {
  return {
    ordered: stateMutatingTags.filter((tag) => tags.includes(tag)),
    parallel: tags.filter((tag) => !isStateMutating(tag)),
  };
}
