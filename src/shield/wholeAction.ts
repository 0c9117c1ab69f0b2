import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import type { ActionRequest } from './actionInput.js';
import { type PlannedAction, planActions, type StrikeOutcome } from './actionPlan.js';
import { type StoredAction, type StoredRow, storedAction } from './actionsStore.js';
import { type OffenseLevel, offenseFloors, offenseLevels } from './offenseLevel.js';
import { toBehaviourSnapshot, toStrikeSnapshot } from './writers/snapshots.js';
import type { BehaviourSnapshot, Offender, Severity, StrikeRequest, StrikeSnapshot } from './writers/types.js';

const recordActionSql = sqlFile(import.meta.url, './sql/record_action.sql');

export interface WholeActionInput {
  readonly request: ActionRequest;
  readonly offender: Offender;
  readonly severity: Severity;
  readonly strikeTags: readonly ('add_strike_1' | 'add_strike_2')[];
  readonly strikes: readonly StrikeRequest[];
  /** The client's Idempotency-Key; without it the comment (platform, id) identifies the request. */
  readonly idempotencyKey?: string;
}

export type WholeActionOutcome =
  | {
      readonly kind: 'recorded';
      readonly replay: boolean;
      readonly offenseLevel: OffenseLevel;
      readonly behaviour: BehaviourSnapshot;
      readonly strikes: StrikeSnapshot | null;
      readonly actions: StoredAction[];
    }
  | { readonly kind: 'conflict' };

/**
 * One action in one call of shield_record_action: the plan depends on the offence level,
 * which depends on the counts after this violation, so the service plans every level the
 * call may land on (one plan when check_reincidence is absent) and the function picks one
 * with the same floors. A repeat of the request returns the first result, marked replay.
 *
 * @example
 * const outcome = await recordWholeAction(db, { request, offender, severity, strikeTags, strikes });
 */
export async function recordWholeAction(db: Queryable, input: WholeActionInput): Promise<WholeActionOutcome> {
  const { request, offender, severity } = input;
  const { rows } = await db.query<{ result: unknown }>(recordActionSql, [
    offender.organizationId,
    offender.platform,
    offender.platformUserId,
    offender.platformUsername ?? null,
    JSON.stringify({
      severity,
      toxicity_score: request.metadata.toxicity_score ?? null,
      comment_id: request.comment.id,
      action_tags: request.tags,
    }),
    JSON.stringify(input.strikes),
    JSON.stringify(planPerLevel(input)),
    requestKey(request, input.idempotencyKey),
    requestHash(request),
  ]);
  const raw = rows[0]?.result as
    | {
        conflict?: boolean;
        replay: boolean;
        offense_level: OffenseLevel;
        behaviour: unknown;
        strikes: unknown[];
        actions: StoredRow[];
      }
    | undefined;
  if (raw === undefined) throw new Error('shield_record_action returned no row');
  if (raw.conflict === true) return { kind: 'conflict' };
  const lastStrike = raw.strikes.at(-1);
  return {
    kind: 'recorded',
    replay: raw.replay,
    offenseLevel: raw.offense_level,
    behaviour: toBehaviourSnapshot(raw.behaviour, 'shield_record_action'),
    strikes: lastStrike === undefined ? null : toStrikeSnapshot(lastStrike, 'shield_record_action'),
    actions: raw.actions.map(storedAction),
  };
}

/** What identifies a request: the client's key, or the comment it is about. */
export function requestKey(request: ActionRequest, idempotencyKey: string | undefined): string {
  return idempotencyKey === undefined
    ? `comment:${request.comment.platform}:${request.comment.id}`
    : `key:${idempotencyKey}`;
}

function requestHash(request: ActionRequest): string {
  const canonical = JSON.stringify([request.organizationId, request.comment, request.tags, request.metadata]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

// The strike counts are the database's to fill in (strikes_after, via strike_index): the
// placeholder only lets the planner treat every strike as applied — if one is not, the
// whole call rolls back and nothing is planned anyway.
const appliedStrike: StrikeOutcome = {
  ok: true,
  snapshot: { userId: '', organizationId: '', strikes: 0, lastStrikeAt: '' },
};

function planPerLevel(input: WholeActionInput) {
  const { request, offender, severity, strikeTags } = input;
  const planFor = (offenseLevel: OffenseLevel) =>
    planActions(request.tags, {
      platform: request.comment.platform,
      commentId: request.comment.id,
      platformUserId: offender.platformUserId,
      platformUsername: offender.platformUsername ?? null,
      severity,
      offenseLevel,
      strikeOutcomes: Object.fromEntries(strikeTags.map((tag) => [tag, appliedStrike])),
    }).map((action, ordinal) => planRow(action, ordinal, strikeTags));
  // Only check_reincidence reads the offence level; without it one plan fits every level.
  const byLevel = request.tags.includes('check_reincidence')
    ? Object.fromEntries(offenseLevels.map((level) => [level, planFor(level)]))
    : { any: planFor('first') };
  return {
    floors: offenseFloors.map((floor) => ({
      ...floor,
      critical: Number.isFinite(floor.critical) ? floor.critical : null,
    })),
    request_metadata: request.metadata,
    by_level: byLevel,
  };
}

function planRow(action: PlannedAction, ordinal: number, strikeTags: readonly string[]) {
  const strikeIndex = strikeTags.indexOf(action.tag);
  const { strikes_after: _placeholder, ...details } = action.details as Record<string, unknown>;
  return {
    ordinal,
    action_tag: action.tag,
    platform_action: action.platformAction,
    disposition: action.disposition,
    reason: action.reason,
    metadata: { writer: 'action', ...details },
    job_payload: action.jobPayload,
    strike_index: strikeIndex === -1 ? null : strikeIndex + 1,
  };
}
