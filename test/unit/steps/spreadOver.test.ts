import { describe, expect, it } from 'vitest';
import { spreadOver } from '../../../src/metrics/points.js';

describe('spreadOver: the samples a monitor keeps in its outcome', () => {
  const points = Array.from({ length: 8640 }, (_, i) => i);

  it('keeps every point of a short window', () => {
    expect(spreadOver([1, 2, 3], 240)).toEqual([1, 2, 3]);
    expect(spreadOver([], 240)).toEqual([]);
  });

  it('spreads a 24 h window over its whole length, first and last kept, evenly spaced', () => {
    const kept = spreadOver(points, 240);
    expect(kept).toHaveLength(240);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(8639);
    const gaps = kept.slice(1).map((p, i) => p - kept[i]!);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });

  it('with room for one keeps the last (where a breach stopped the window)', () => {
    expect(spreadOver(points, 1)).toEqual([8639]);
  });
});
