/** Latency figures in milliseconds, rounded to 0.01 ms. */
export interface LatencySummary {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Nearest-rank percentiles (no interpolation: every figure is a latency that was
 * actually observed). An empty sample gives zeros.
 *
 * @example
 * summarizeLatencies([4, 1, 3, 2]) // { p50: 2, p95: 4, p99: 4, max: 4, mean: 2.5 }
 */
export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  if (samplesMs.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const sum = sorted.reduce((total, x) => total + x, 0);
  return {
    p50: roundMs(rank(50)),
    p95: roundMs(rank(95)),
    p99: roundMs(rank(99)),
    max: roundMs(sorted[sorted.length - 1]!),
    mean: roundMs(sum / sorted.length),
  };
}

function roundMs(ms: number): number {
  return round(ms, 2);
}

/** `value` rounded to `digits` decimals: figures in evidence stay readable. */
export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
