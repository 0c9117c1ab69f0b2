import type { Queryable } from '../db/database.js';
import { DatabaseError, ShipcheckError } from '../errors.js';
import { type FailureCode, failureCodeOf } from './failures.js';
import { type PlannedAction, planActions, type StrikeOutcome } from './actionPlan.js';
import { type ActionRequest, parseActionRequest, type ShieldComment } from './actionInput.js';
import { type StoredAction, storeActions } from './actionsStore.js';
import { offenseLevelFrom } from './offenseLevel.js';
import type { ActionOutcome, ShieldResult } from './result.js';
import { countRoundTrips } from './roundTripCounter.js';
import { severityFromToxicity } from './severity.js';
import { partitionTags } from './tags.js';
import { recordWholeAction } from './wholeAction.js';
import type { BehaviourWriter, Offender, Severity, StrikeSnapshot, ViolationRecord } from './writers/types.js';

export interface ShieldDeps {
  /** A Database or any Queryable; every round trip of the call goes through it. */
  readonly db: Queryable;
  /** `writerFor('rpc')` (atomic, migration 024) or `writerFor('legacy')` (read-modify-write). */
  readonly writer: BehaviourWriter;
  /** Milliseconds, for latencyMs; performance.now by default. */
  readonly clock?: () => number;
}

export interface ActionOptions {
  /**
   * With the `action` writer: identifies the request instead of (platform, comment id);
   * a repeat with the same key returns the first result and writes nothing.
   */
  readonly idempotencyKey?: string;
}

/**
 * Phase 2 of Shield: records the violation, applies strikes and the reincidence
 * check in order (M1), and writes every action of the comment — with its queued
 * platform job — in one statement (M2), calling the writer's recordViolationWithStrikes
 * exactly once (M3; with the rpc writer the strikes ride in that same round trip). With
 * the `action` writer (migration 026) all of it is one call of shield_record_action: one
 * round trip, one transaction, and a repeated request (same comment, or same
 * options.idempotencyKey) returns the first result with `replay: true`. Bad input and database failures come back as a result
 * with `success: false`; nothing is thrown for them. Every argument is checked
 * at run time (parseActionRequest), so untyped input (an HTTP body) is safe to pass.
 *
 * @example
 * const result = await executeActionsFromTags({ db, writer: writerFor('rpc') }, orgId,
 *   { id: '1790', platform: 'twitter', platform_user_id: '42', platform_username: 'troll' },
 *   ['hide_comment', 'add_strike_1', 'check_reincidence'], { toxicity_score: 0.9 });
 */
export async function executeActionsFromTags(
  deps: ShieldDeps,
  organizationId: string,
  comment: ShieldComment | Readonly<Record<string, unknown>>,
  actionTags: readonly string[],
  metadata: Readonly<Record<string, unknown>> = {},
  options: ActionOptions = {},
): Promise<ShieldResult> {
  const clock = deps.clock ?? (() => performance.now());
  const startedAt = clock();
  const db = countRoundTrips(deps.db);
  const finish = (
    fields: Omit<ShieldResult, 'roundTrips' | 'latencyMs' | 'failedActions' | 'success'>,
  ): ShieldResult => {
    const failedActions = fields.actions.filter((action) => action.status === 'failed');
    return {
      ...fields,
      success: failedActions.length === 0,
      failedActions,
      roundTrips: db.roundTrips,
      latencyMs: clock() - startedAt,
    };
  };

  const parsed = parseActionRequest(organizationId, comment, actionTags, metadata);
  if (!parsed.ok) {
    return finish({
      ...emptyFields(typeof organizationId === 'string' ? organizationId.slice(0, 64) : null, commentIdOf(comment)),
      actions: [
        {
          tag: 'input',
          platformAction: null,
          status: 'failed',
          reason: `request refused: ${parsed.problems.join('; ')}`,
          errorCode: 'invalid_request',
        },
      ],
    });
  }
  const request = parsed.request;
  const severity = severityOf(request);
  const base = { ...emptyFields(request.organizationId, request.comment.id), severity };
  // No tags means the comment is no violation (toxicity below 0.30): nothing to record.
  if (request.tags.length === 0) return finish({ ...base, actions: [] });

  const offender: Offender = {
    organizationId: request.organizationId,
    platform: request.comment.platform,
    platformUserId: request.comment.platform_user_id,
    platformUsername: request.comment.platform_username ?? null,
  };
  const { ordered } = partitionTags(request.tags);
  // check_reincidence is planned below from the snapshots: no extra read.
  const strikeTags = ordered.filter((tag): tag is 'add_strike_1' | 'add_strike_2' => tag !== 'check_reincidence');
  const strikeRequests = strikeTags.map((tag) => ({
    strikes: tag === 'add_strike_1' ? (1 as const) : (2 as const),
    reason: `${tag} for comment ${request.comment.id}`.slice(0, 256),
  }));
  if (deps.writer.recordsWholeAction) {
    // Migration 026: everything below in one call, one transaction; a failure writes nothing.
    try {
      const outcome = await recordWholeAction(db, {
        request,
        offender,
        severity,
        strikeTags,
        strikes: strikeRequests,
        ...(options.idempotencyKey !== undefined && { idempotencyKey: options.idempotencyKey }),
      });
      if (outcome.kind === 'conflict') {
        const reason =
          'request refused: this idempotency key (or comment) was already used for a different request; nothing written';
        return finish({
          ...base,
          actions: [
            { tag: 'input', platformAction: null, status: 'failed', reason, errorCode: 'idempotency_key_reused' },
          ],
        });
      }
      const { behaviour, strikes, offenseLevel, actions, replay } = outcome;
      return finish({ ...base, offenseLevel, behaviour, strikes, replay, actions: actions.map(storedOutcome) });
    } catch (error) {
      return finish({
        ...base,
        actions: failAll(request, `nothing recorded, no action taken: ${explain(error, request)}`, codeOf(error)),
      });
    }
  }
  let recorded: ViolationRecord;
  try {
    recorded = await deps.writer.recordViolationWithStrikes(
      db,
      offender,
      {
        severity,
        toxicityScore: request.metadata.toxicity_score ?? null,
        commentId: request.comment.id,
        actionTags: request.tags,
      },
      strikeRequests,
    );
  } catch (error) {
    return finish({
      ...base,
      actions: failAll(request, `behaviour not recorded, no action taken: ${explain(error, request)}`, codeOf(error)),
    });
  }
  const { behaviour } = recorded;
  const strikeOutcomes: Partial<Record<'add_strike_1' | 'add_strike_2', StrikeOutcome>> = {};
  let strikes: StrikeSnapshot | null = null;
  for (const [i, tag] of strikeTags.entries()) {
    const attempt = recorded.strikes[i];
    if (attempt?.ok) strikes = attempt.snapshot;
    strikeOutcomes[tag] = attempt?.ok
      ? { ok: true, snapshot: attempt.snapshot }
      : {
          ok: false,
          reason: `strike not applied: ${attempt ? explain(attempt.error, request) : 'no result from the writer'}`,
        };
  }
  const offenseLevel = offenseLevelFrom({ ...behaviour, strikes: strikes?.strikes ?? null });
  const plan = planActions(request.tags, {
    platform: request.comment.platform,
    commentId: request.comment.id,
    platformUserId: offender.platformUserId,
    platformUsername: offender.platformUsername ?? null,
    severity,
    offenseLevel,
    strikeOutcomes,
  });

  const reached = { ...base, offenseLevel, behaviour, strikes };
  let stored: StoredAction[];
  try {
    stored = await storeActions(
      db,
      {
        offender,
        commentId: request.comment.id,
        severity,
        offenseLevel,
        requestMetadata: request.metadata,
        writer: deps.writer.name,
      },
      plan,
    );
  } catch (error) {
    if (!(error instanceof ShipcheckError)) throw error;
    const reason = `actions not written (the violation is counted, total ${behaviour.totalViolations}): ${explain(error, request)}`;
    const errorCode = failureCodeOf(error);
    return finish({
      ...reached,
      actions: plan.map((action) => ({ ...outcomeOf(action), status: 'failed', reason, errorCode })),
    });
  }
  return finish({ ...reached, actions: stored.map(storedOutcome) });
}

/** An explicit severity wins (a moderator's call); validation guarantees one of the two is there. */
function severityOf(request: ActionRequest): Severity {
  return request.metadata.severity ?? severityFromToxicity(request.metadata.toxicity_score as number);
}

function explain(error: unknown, request: ActionRequest): string {
  if (!(error instanceof ShipcheckError)) throw error;
  if (
    error instanceof DatabaseError &&
    error.sqlState === '23503' &&
    /organization/.test(`${error.message} ${error.detail}`)
  ) {
    return `organization ${request.organizationId} does not exist`;
  }
  return error.message;
}

/** Called right after explain(), which has already rethrown anything but a ShipcheckError. */
function codeOf(error: unknown): FailureCode {
  return failureCodeOf(error as ShipcheckError);
}

function failAll(request: ActionRequest, reason: string, errorCode: FailureCode): ActionOutcome[] {
  return request.tags.map((tag) => ({ tag, platformAction: null, status: 'failed', reason, errorCode }));
}

function outcomeOf(action: PlannedAction): ActionOutcome {
  return { tag: action.tag, platformAction: action.platformAction, status: 'failed' };
}

function storedOutcome(action: StoredAction): ActionOutcome {
  return {
    tag: action.tag,
    platformAction: action.platformAction,
    status: action.status,
    actionId: action.id,
    ...(action.reason !== null && { reason: action.reason }),
    ...(action.jobId !== null && { jobId: action.jobId }),
  };
}

function emptyFields(organizationId: string | null, commentId: string | null) {
  return { organizationId, commentId, severity: null, offenseLevel: null, behaviour: null, strikes: null, actions: [] };
}

function commentIdOf(comment: unknown): string | null {
  const id = (comment as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id.slice(0, 256) : null;
}
