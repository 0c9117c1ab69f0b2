import { describe, expect, it } from 'vitest';
import { escalate, escalationActions } from '../../../src/shield/escalation.js';
import { offenseLevels } from '../../../src/shield/offenseLevel.js';
import { severities } from '../../../src/shield/severity.js';

// The whole matrix, spelled out: changing a cell must change this table too.
const expected = [
  ['low', 'first', 'warn'],
  ['low', 'repeat', 'warn'],
  ['low', 'persistent', 'mute_temp'],
  ['low', 'dangerous', 'mute_permanent'],
  ['medium', 'first', 'warn'],
  ['medium', 'repeat', 'mute_temp'],
  ['medium', 'persistent', 'mute_permanent'],
  ['medium', 'dangerous', 'block'],
  ['high', 'first', 'mute_temp'],
  ['high', 'repeat', 'mute_permanent'],
  ['high', 'persistent', 'block'],
  ['high', 'dangerous', 'report'],
  ['critical', 'first', 'block'],
  ['critical', 'repeat', 'report'],
  ['critical', 'persistent', 'escalate'],
  ['critical', 'dangerous', 'escalate'],
] as const;

describe('escalation matrix', () => {
  it.each(expected)('%s × %s → %s', (severity, level, action) => {
    expect(escalate(severity, level)).toBe(action);
  });

  it('covers all 16 cells exactly once', () => {
    const cells = new Set(expected.map(([severity, level]) => `${severity}/${level}`));
    expect(cells.size).toBe(severities.length * offenseLevels.length);
  });

  it('never gets milder for a worse comment or a worse history', () => {
    const rank = (severity: (typeof severities)[number], level: (typeof offenseLevels)[number]) =>
      escalationActions.indexOf(escalate(severity, level));
    severities.forEach((severity, s) => {
      offenseLevels.forEach((level, l) => {
        if (s > 0) expect(rank(severity, level)).toBeGreaterThanOrEqual(rank(severities[s - 1]!, level));
        if (l > 0) expect(rank(severity, level)).toBeGreaterThanOrEqual(rank(severity, offenseLevels[l - 1]!));
      });
    });
  });
});
