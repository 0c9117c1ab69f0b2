import { describe, expect, it } from 'vitest';
import { summarizeLatencies } from '../../src/metrics/latency.js';

describe('summarizeLatencies', () => {
  it('uses nearest-rank percentiles: every figure is a latency that was observed', () => {
    expect(summarizeLatencies([4, 1, 3, 2])).toEqual({ p50: 2, p95: 4, p99: 4, max: 4, mean: 2.5 });
  });

  it('on 100 samples 1..100, p50 is 50, p95 is 95 and p99 is 99', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarizeLatencies(samples)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
  });

  it('rounds to 0.01 ms and gives zeros for no samples', () => {
    expect(summarizeLatencies([1.23456])).toEqual({ p50: 1.23, p95: 1.23, p99: 1.23, max: 1.23, mean: 1.23 });
    expect(summarizeLatencies([])).toEqual({ p50: 0, p95: 0, p99: 0, max: 0, mean: 0 });
  });
});
