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

/**
 * Records one violation on an offender's behaviour row.
 * `rpc`: one call of atomic_update_user_behavior (migration 024, M3).
 * `legacy`: the pre-024 read-modify-write, kept to show the lost-update race.
 */
export interface BehaviourWriter {
  readonly name: 'rpc' | 'legacy';
  recordViolation(db: Queryable, offender: Offender, violation: Violation): Promise<BehaviourSnapshot>;
  addStrikes(db: Queryable, offender: Offender, strikes: 1 | 2, reason: string): Promise<StrikeSnapshot>;
}
