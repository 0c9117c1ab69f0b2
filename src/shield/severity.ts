import type { Severity } from './writers/types.js';

export const severities = ['low', 'medium', 'high', 'critical'] as const satisfies readonly Severity[];

/** Lower bounds, checked from the top: a score exactly on a bound takes the higher severity. */
const severityFloors: ReadonlyArray<readonly [number, Severity]> = [
  [0.8, 'critical'],
  [0.6, 'high'],
  [0.4, 'medium'],
];

/**
 * Severity of a comment from its toxicity score (0..1).
 *
 * @example
 * severityFromToxicity(0.62); // 'high'
 */
export function severityFromToxicity(toxicity: number): Severity {
  assertToxicity(toxicity);
  for (const [floor, severity] of severityFloors) {
    if (toxicity >= floor) return severity;
  }
  return 'low';
}

/** Refuses NaN, infinities and anything outside [0, 1]: a bad score must not pick an action. */
export function assertToxicity(toxicity: number): void {
  if (typeof toxicity !== 'number' || !Number.isFinite(toxicity) || toxicity < 0 || toxicity > 1) {
    throw new RangeError(`toxicity score must be a number between 0 and 1, got ${String(toxicity)}`);
  }
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (severities as readonly string[]).includes(value);
}
