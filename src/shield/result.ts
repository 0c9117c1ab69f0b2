import type { FailureCode } from './failures.js';
import type { OffenseLevel } from './offenseLevel.js';
import type { ShieldTag } from './tags.js';
import type { BehaviourSnapshot, Severity, StrikeSnapshot } from './writers/types.js';

/**
 * queued: a platform job waits in shield_jobs. recorded: kept in the audit only
 * (internal tag, escalation to a human, or autoActions off). skipped: the
 * platform cannot do it. failed: it could not be done (see reason).
 */
export type ActionStatus = 'queued' | 'recorded' | 'skipped' | 'failed';

export interface ActionOutcome {
  /** The tag, or 'input' when the request itself was refused. */
  readonly tag: ShieldTag | 'input';
  readonly platformAction: string | null;
  readonly status: ActionStatus;
  readonly reason?: string;
  /** Why it failed, as a stable code (set when the service caught the failure). */
  readonly errorCode?: FailureCode;
  /** shield_actions.id, when the row was written. */
  readonly actionId?: string;
  /** shield_jobs.id, when a platform job was queued. */
  readonly jobId?: string;
}

/** What executeActionsFromTags returns; it never throws for bad input or a database failure. */
export interface ShieldResult {
  /** True when every action reached a final, non-failed status. */
  readonly success: boolean;
  readonly organizationId: string | null;
  readonly commentId: string | null;
  readonly severity: Severity | null;
  readonly offenseLevel: OffenseLevel | null;
  /** The snapshot returned by the writer's recordViolation; null when nothing was recorded. */
  readonly behaviour: BehaviourSnapshot | null;
  /** The last strike snapshot, when this call added strikes. */
  readonly strikes: StrikeSnapshot | null;
  readonly actions: readonly ActionOutcome[];
  readonly failedActions: readonly ActionOutcome[];
  /**
   * Only with the `action` writer (migration 026): true when this request repeated an
   * earlier one (same organization and comment, or same idempotency key) and nothing was written.
   */
  readonly replay?: boolean;
  /** Database round trips this call made (the "DB calls per action" figure). */
  readonly roundTrips: number;
  readonly latencyMs: number;
}
