import { escalate, type EscalationAction } from './escalation.js';
import type { OffenseLevel } from './offenseLevel.js';
import { escalationModerationAction, platformActionFor } from './platformActions.js';
import type { Platform } from './platforms.js';
import { type ModerationAction, type ShieldTag, tagActions } from './tags.js';
import type { Severity, StrikeSnapshot } from './writers/types.js';

/** How long mute_temp lasts, in the job payload; Discord's timeout allows up to 28 days. */
export const muteTempSeconds = 24 * 60 * 60;

/**
 * What to do for one tag, before the database has its say. 'platform' becomes
 * 'queued' or (autoActions off) 'recorded' inside the batched insert.
 */
export type Disposition = 'platform' | 'recorded' | 'skipped' | 'failed';

export interface PlannedAction {
  readonly tag: ShieldTag;
  readonly platformAction: string | null;
  readonly disposition: Disposition;
  readonly reason: string | null;
  /** Extra facts for the audit row (escalation chosen, strikes after the call, …). */
  readonly details: Readonly<Record<string, unknown>>;
  /** What the platform adapter needs beyond the job's platform and action. */
  readonly jobPayload: Readonly<Record<string, unknown>> | null;
}

/** The outcome of one strike tag, run in order before planning (M1). */
export type StrikeOutcome =
  | { readonly ok: true; readonly snapshot: StrikeSnapshot }
  | { readonly ok: false; readonly reason: string };

export interface PlanContext {
  readonly platform: Platform;
  readonly commentId: string;
  readonly platformUserId: string;
  readonly platformUsername: string | null;
  readonly severity: Severity;
  readonly offenseLevel: OffenseLevel;
  readonly strikeOutcomes: Readonly<Partial<Record<'add_strike_1' | 'add_strike_2', StrikeOutcome>>>;
}

/**
 * Decides every tag's platform action and disposition. Pure: the tags that do
 * not mutate state are independent of each other, so "in parallel" costs
 * nothing here — they become rows of the one batched insert.
 */
export function planActions(tags: readonly ShieldTag[], context: PlanContext): PlannedAction[] {
  const plan = tags.map((tag) => planAction(tag, context));
  return plan.map((action) => (action.tag === 'check_reincidence' ? withoutDuplicateCall(action, plan) : action));
}

/**
 * The escalation often lands on what an explicit tag already asks for (a
 * critical first offence → block, next to block_user): one platform call is
 * enough, the reincidence row then only records the decision.
 */
function withoutDuplicateCall(escalation: PlannedAction, plan: readonly PlannedAction[]): PlannedAction {
  if (escalation.disposition !== 'platform') return escalation;
  const twin = plan.find(
    (other) =>
      other.tag !== escalation.tag &&
      other.disposition === 'platform' &&
      other.platformAction === escalation.platformAction,
  );
  if (twin === undefined) return escalation;
  return {
    ...escalation,
    disposition: 'recorded',
    reason: `${escalation.platformAction} is already queued by ${twin.tag}`,
    jobPayload: null,
  };
}

function planAction(tag: ShieldTag, context: PlanContext): PlannedAction {
  switch (tag) {
    case 'add_strike_1':
    case 'add_strike_2':
      return planStrike(tag, context);
    case 'check_reincidence':
      return planEscalation(escalate(context.severity, context.offenseLevel), context);
    case 'require_manual_review':
      return internal(tag, 'recorded', 'waiting for a moderator', {});
    default: {
      const action = tagActions[tag];
      // Every non-internal tag has an action; the table and the tag list are tested together.
      if (action === undefined) return internal(tag, 'failed', `tag ${tag} has no platform action`, {});
      return planPlatformAction(tag, action, context, {});
    }
  }
}

function planStrike(tag: 'add_strike_1' | 'add_strike_2', context: PlanContext): PlannedAction {
  const outcome = context.strikeOutcomes[tag];
  if (outcome === undefined) return internal(tag, 'failed', 'strike was not applied', {});
  if (!outcome.ok) return internal(tag, 'failed', outcome.reason, {});
  return internal(tag, 'recorded', null, { strikes_after: outcome.snapshot.strikes });
}

function planEscalation(escalation: EscalationAction, context: PlanContext): PlannedAction {
  const details = { escalation, offense_level: context.offenseLevel, severity: context.severity };
  const action = escalationModerationAction[escalation];
  if (action === null) return internal('check_reincidence', 'recorded', 'escalated to a moderator', details);
  return planPlatformAction('check_reincidence', action, context, details);
}

function planPlatformAction(
  tag: ShieldTag,
  action: ModerationAction,
  context: PlanContext,
  details: Readonly<Record<string, unknown>>,
): PlannedAction {
  const resolution = platformActionFor(context.platform, action);
  if (!resolution.supported) return { ...internal(tag, 'skipped', resolution.reason, details), platformAction: null };
  return {
    tag,
    platformAction: resolution.platformAction,
    disposition: 'platform',
    reason: null,
    details: { ...details, moderation_action: action },
    jobPayload: {
      comment_id: context.commentId,
      platform_user_id: context.platformUserId,
      platform_username: context.platformUsername,
      moderation_action: action,
      ...(action === 'mute_temp' && { duration_seconds: muteTempSeconds }),
    },
  };
}

function internal(
  tag: ShieldTag,
  disposition: Exclude<Disposition, 'platform'>,
  reason: string | null,
  details: Readonly<Record<string, unknown>>,
): PlannedAction {
  return { tag, platformAction: null, disposition, reason, details, jobPayload: null };
}
