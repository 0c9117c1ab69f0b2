import { describe, expect, it } from 'vitest';
import { offenseLevelFrom } from '../../../src/shield/offenseLevel.js';

const counts = (critical = 0) => ({ low: 0, medium: 0, high: 0, critical });

describe('offenseLevelFrom', () => {
  it.each([
    [1, 'first'],
    [2, 'repeat'],
    [4, 'repeat'],
    [5, 'persistent'],
    [9, 'persistent'],
    [10, 'dangerous'],
    [250, 'dangerous'],
  ] as const)('%i violations, strikes unknown → %s', (totalViolations, level) => {
    expect(offenseLevelFrom({ totalViolations, severityCounts: counts(), strikes: null })).toBe(level);
  });

  it.each([
    [2, 'first'],
    [3, 'repeat'],
    [5, 'persistent'],
    [8, 'dangerous'],
  ] as const)('first violation with %i strikes → %s', (strikes, level) => {
    expect(offenseLevelFrom({ totalViolations: 1, severityCounts: counts(), strikes })).toBe(level);
  });

  it('one severe comment alone (two strikes at once) is still a first offence', () => {
    expect(offenseLevelFrom({ totalViolations: 1, severityCounts: counts(1), strikes: 2 })).toBe('first');
  });

  it('a third critical comment is dangerous whatever the totals', () => {
    expect(offenseLevelFrom({ totalViolations: 3, severityCounts: counts(3), strikes: null })).toBe('dangerous');
    expect(offenseLevelFrom({ totalViolations: 3, severityCounts: counts(2), strikes: null })).toBe('repeat');
  });

  it('takes the worst level any measure reaches', () => {
    expect(offenseLevelFrom({ totalViolations: 6, severityCounts: counts(), strikes: 8 })).toBe('dangerous');
    expect(offenseLevelFrom({ totalViolations: 12, severityCounts: counts(), strikes: 0 })).toBe('dangerous');
  });
});
