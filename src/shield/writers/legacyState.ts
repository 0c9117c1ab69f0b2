import type { Severity, Violation } from './types.js';

/**
 * How many entries of `actions_taken` are kept, newest last. Must equal the bound
 * atomic_update_user_behavior applies (migration 024), so both writers leave the
 * same row behind for the same input.
 */
export const actionsTakenLimit = 100;

export const severities: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** The columns the pre-024 writer read before writing: what it believed the row held. */
export interface StoredBehaviour {
  readonly totalViolations: number;
  readonly severityCounts: Readonly<Record<string, number>>;
  readonly actionsTaken: readonly unknown[];
}

export interface NextBehaviour {
  readonly totalViolations: number;
  readonly severityCounts: Readonly<Record<Severity, number>>;
  readonly actionsTaken: readonly unknown[];
}

export const emptyBehaviour: StoredBehaviour = { totalViolations: 0, severityCounts: {}, actionsTaken: [] };

/**
 * The new absolute values the pre-024 code computed in the application from what it
 * had just read. Pure, so the computation is tested on its own; the race lies in the
 * gap between the read and the write, not here.
 */
export function nextBehaviour(stored: StoredBehaviour, violation: Violation, at: Date): NextBehaviour {
  const severityCounts = Object.fromEntries(
    severities.map((s) => [s, (stored.severityCounts[s] ?? 0) + (s === violation.severity ? 1 : 0)]),
  ) as Record<Severity, number>;
  const entry = {
    timestamp: at.toISOString(),
    comment_id: violation.commentId,
    action_tags: [...violation.actionTags],
    severity: violation.severity,
    toxicity_score: violation.toxicityScore,
  };
  return {
    totalViolations: stored.totalViolations + 1,
    severityCounts,
    actionsTaken: [...stored.actionsTaken, entry].slice(-actionsTakenLimit),
  };
}
