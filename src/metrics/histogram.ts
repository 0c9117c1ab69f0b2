/** A Prometheus histogram: cumulative bucket counts (`le` ascending, +Inf last), sum and count. */
export interface CumulativeHistogram {
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly count: number;
  readonly sum: number;
}

/**
 * What was observed between two scrapes of the same histogram (PromQL `increase`).
 * A counter that went down means the process restarted: the later scrape is then the window.
 */
export function histogramDelta(start: CumulativeHistogram, now: CumulativeHistogram): CumulativeHistogram {
  if (now.count < start.count) return now;
  const before = new Map(start.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: now.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) })),
    count: now.count - start.count,
    sum: now.sum - start.sum,
  };
}

/** sum / count; null without observations. */
export function histogramMean(h: CumulativeHistogram): number | null {
  return h.count > 0 ? h.sum / h.count : null;
}

/**
 * The q-quantile estimated as PromQL's `histogram_quantile` does: linear interpolation
 * inside the bucket that holds the rank (the first bucket starting at 0); a rank in the
 * +Inf bucket answers the highest finite bound. null without observations.
 *
 * @example
 * histogramQuantile(0.95, histogramDelta(before, after)) // seconds, for a *_seconds histogram
 */
export function histogramQuantile(q: number, h: CumulativeHistogram): number | null {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of h.buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return lowerBound;
      const inBucket = bucket.count - lowerCount;
      return inBucket <= 0 ? bucket.le : lowerBound + ((bucket.le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}
