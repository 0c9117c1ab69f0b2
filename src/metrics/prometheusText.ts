import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { CumulativeHistogram } from './histogram.js';

/** One line of the Prometheus text format: `name{labels} value`. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Label values a sample must have; a function tests the value. */
export type LabelMatch = Readonly<Record<string, string | ((value: string) => boolean)>>;

/**
 * Every sample of a Prometheus text exposition, flat. The tokenizing (label escapes,
 * `+Inf`, timestamps) is parse-prometheus-text-format's; its `# TYPE` handling is not used:
 * it folds a histogram's buckets by `le` alone, so the buckets of differently labelled
 * series (writer="rpc", writer="legacy") overwrite each other and their sums and counts
 * are dropped. Without the TYPE lines every `_bucket`, `_sum` and `_count` line stays a
 * sample with all its labels, and histogramOf() puts them together.
 *
 * @example
 * const samples = parsePrometheusText(await response.text());
 * const failed = sumOf(samples, 'http_requests_total', { code: '500' });
 */
export function parsePrometheusText(text: string): PromSample[] {
  const untyped = text
    .split('\n')
    .filter((line) => !line.startsWith('# TYPE'))
    .join('\n');
  return parsePrometheusTextFormat(untyped).flatMap((family) =>
    family.metrics
      .filter((m) => m.value !== undefined)
      .map((m) => ({ name: family.name, labels: m.labels ?? {}, value: Number(m.value) })),
  );
}

export function matches(sample: PromSample, match: LabelMatch): boolean {
  return Object.entries(match).every(([label, want]) => {
    const have = sample.labels[label];
    if (have === undefined) return false;
    return typeof want === 'function' ? want(have) : have === want;
  });
}

/** Sum over every series of `name` whose labels match (PromQL `sum(name{…})`); 0 when there is none. */
export function sumOf(samples: readonly PromSample[], name: string, match: LabelMatch = {}): number {
  return samples.filter((s) => s.name === name && matches(s, match)).reduce((total, s) => total + s.value, 0);
}

/**
 * The histogram `name` summed over every label set that matches (PromQL
 * `sum by (le) (name_bucket{…})`), with its `_sum` and `_count`.
 */
export function histogramOf(samples: readonly PromSample[], name: string, match: LabelMatch = {}): CumulativeHistogram {
  const byBound = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !matches(s, match) || s.labels.le === undefined) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + s.value);
  }
  return {
    buckets: [...byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le),
    count: sumOf(samples, `${name}_count`, match),
    sum: sumOf(samples, `${name}_sum`, match),
  };
}
