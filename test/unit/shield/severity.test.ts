import { describe, expect, it } from 'vitest';
import { severityFromToxicity } from '../../../src/shield/severity.js';

describe('severityFromToxicity', () => {
  it.each([
    [0, 'low'],
    [0.39999, 'low'],
    [0.4, 'medium'],
    [0.59, 'medium'],
    [0.6, 'high'],
    [0.79, 'high'],
    [0.8, 'critical'],
    [1, 'critical'],
  ] as const)('%s → %s (a score on a bound takes the higher severity)', (toxicity, severity) => {
    expect(severityFromToxicity(toxicity)).toBe(severity);
  });

  it.each([Number.NaN, -0.01, 1.01, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %s', (toxicity) => {
    expect(() => severityFromToxicity(toxicity)).toThrow(/toxicity score must be a number between 0 and 1/);
  });

  it('refuses a score that is not a number at all', () => {
    expect(() => severityFromToxicity('0.9' as unknown as number)).toThrow(RangeError);
  });
});
