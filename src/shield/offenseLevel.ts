import type { Severity } from './writers/types.js';

export const offenseLevels = ['first', 'repeat', 'persistent', 'dangerous'] as const;

export type OffenseLevel = (typeof offenseLevels)[number];

/** The part of an offender's behaviour the level is read from (counts include the current violation). */
export interface OffenseHistory {
  readonly totalViolations: number;
  readonly severityCounts: Readonly<Record<Severity, number>>;
  /**
   * Strikes after this call, when this call added some (addStrikes returns them);
   * null when unknown — reading them would cost a round trip, and a call without
   * strike tags is by construction not a severe one.
   */
  readonly strikes: number | null;
}

/**
 * Floors per measure, checked from the most serious level down. A level is
 * reached when ANY measure reaches its floor. Strike floors sit above what a
 * single violation can add (2), so one severe comment alone stays 'first'.
 */
export const offenseFloors: ReadonlyArray<{
  level: OffenseLevel;
  violations: number;
  strikes: number;
  critical: number;
}> = [
  { level: 'dangerous', violations: 10, strikes: 8, critical: 3 },
  { level: 'persistent', violations: 5, strikes: 5, critical: Number.POSITIVE_INFINITY },
  { level: 'repeat', violations: 2, strikes: 3, critical: Number.POSITIVE_INFINITY },
];

/**
 * How much of a repeat offender this is, from the behaviour snapshot.
 *
 * @example
 * offenseLevelFrom({ totalViolations: 6, severityCounts: { low: 6, medium: 0, high: 0, critical: 0 }, strikes: null });
 * // 'persistent'
 */
export function offenseLevelFrom(history: OffenseHistory): OffenseLevel {
  const strikes = history.strikes ?? 0;
  for (const floor of offenseFloors) {
    if (
      history.totalViolations >= floor.violations ||
      strikes >= floor.strikes ||
      history.severityCounts.critical >= floor.critical
    ) {
      return floor.level;
    }
  }
  return 'first';
}
