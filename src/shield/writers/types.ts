import type { Queryable } from '../../db/database.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Who offended: one row of user_behaviors is keyed by these three. */
export interface Offender {
  readonly organizationId: string;
  readonly platform: string;
  readonly platformUserId: string;
  readonly platformUsername?: string | null;
}

/** p_violation_data of atomic_update_user_behavior. */
export interface Violation {
  readonly severity: Severity;
  readonly toxicityScore: number | null;
  readonly commentId: string;
  readonly actionTags: readonly string[];
}

/** What atomic_update_user_behavior returns (and what the legacy writer computes). */
export interface BehaviourSnapshot {
  /** The platform user id (the function's `user_id`). */
  readonly userId: string;
  readonly organizationId: string;
  readonly totalViolations: number;
  readonly severityCounts: Readonly<Record<Severity, number>>;
  readonly lastViolationAt: string;
}

export interface StrikeSnapshot {
  readonly userId: string;
  readonly organizationId: string;
  readonly strikes: number;
  readonly lastStrikeAt: string;
}

/** One strike tag of a comment (add_strike_1 adds 1, add_strike_2 adds 2). */
export interface StrikeRequest {
  readonly strikes: 1 | 2;
  readonly reason: string;
}

/** What became of one requested strike; `error` when it was not applied. */
export type StrikeAttempt =
  | { readonly ok: true; readonly snapshot: StrikeSnapshot }
  | { readonly ok: false; readonly error: unknown };

export interface ViolationRecord {
  readonly behaviour: BehaviourSnapshot;
  /** One per requested strike, in the order requested. */
  readonly strikes: readonly StrikeAttempt[];
}

/**
 * Records one violation on an offender's behaviour row.
 * `rpc`: one call of atomic_update_user_behavior (migration 024, M3).
 * `legacy`: the pre-024 read-modify-write, kept to show the lost-update race.
 * `action`: as `rpc` on its own; in the Shield service the whole action in one call (026).
 */
export interface BehaviourWriter {
  readonly name: 'rpc' | 'legacy' | 'action';
  /**
   * True for `action` (migration 026): the service hands it the whole action —
   * violation, strikes, audit rows, jobs — as one call of shield_record_action.
   */
  readonly recordsWholeAction?: boolean;
  recordViolation(db: Queryable, offender: Offender, violation: Violation): Promise<BehaviourSnapshot>;
  addStrikes(db: Queryable, offender: Offender, strikes: 1 | 2, reason: string): Promise<StrikeSnapshot>;
  /**
   * The violation, then the strikes in order (M1). Throws when the violation was not
   * recorded. `rpc` does it all in one round trip and one statement; `legacy` in
   * several, so there a strike can fail after the violation was counted.
   */
  recordViolationWithStrikes(
    db: Queryable,
    offender: Offender,
    violation: Violation,
    strikes: readonly StrikeRequest[],
  ): Promise<ViolationRecord>;
}
