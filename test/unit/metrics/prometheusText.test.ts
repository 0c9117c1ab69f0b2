import { Registry, Histogram, Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { histogramDelta, histogramMean, histogramQuantile } from '../../../src/metrics/histogram.js';
import { histogramOf, parsePrometheusText, sumOf } from '../../../src/metrics/prometheusText.js';

/** prom-client's own exposition of a labelled histogram and counter: what the Shield API serves. */
async function exposition() {
  const registry = new Registry();
  const h = new Histogram({
    name: 'd_seconds',
    help: 'x',
    labelNames: ['writer', 'result'],
    buckets: [0.01, 0.1, 1],
    registers: [registry],
  });
  const c = new Counter({ name: 'a_total', help: 'y', labelNames: ['writer', 'result'], registers: [registry] });
  for (const v of [0.005, 0.05, 0.05, 0.5]) h.observe({ writer: 'rpc', result: 'success' }, v);
  for (const v of [0.05, 2]) h.observe({ writer: 'legacy', result: 'failed' }, v);
  c.inc({ writer: 'rpc', result: 'success' }, 4);
  c.inc({ writer: 'legacy', result: 'failed' }, 2);
  c.inc({ writer: 'label "with" quotes, and \\ backslash', result: 'success' }, 1);
  return registry.metrics();
}

describe('Prometheus text', () => {
  it('keeps labelled histogram series apart and sums them on request', async () => {
    const samples = parsePrometheusText(await exposition());
    expect(sumOf(samples, 'a_total')).toBe(7);
    expect(sumOf(samples, 'a_total', { result: 'failed' })).toBe(2);
    expect(sumOf(samples, 'a_total', { writer: (w) => w.includes('"with"') })).toBe(1);
    const rpc = histogramOf(samples, 'd_seconds', { writer: 'rpc' });
    expect(rpc).toEqual({
      buckets: [
        { le: 0.01, count: 1 },
        { le: 0.1, count: 3 },
        { le: 1, count: 4 },
        { le: Number.POSITIVE_INFINITY, count: 4 },
      ],
      count: 4,
      sum: 0.605,
    });
    expect(histogramOf(samples, 'd_seconds').count).toBe(6);
    expect(histogramOf(samples, 'd_seconds', { result: (r) => r !== 'failed' }).count).toBe(4);
  });

  it('estimates quantiles like histogram_quantile and takes deltas between scrapes', async () => {
    const all = histogramOf(parsePrometheusText(await exposition()), 'd_seconds');
    // 6 observations: rank 3 of p50 falls in (0.01, 0.1] holding 3 (1 below it): 0.01 + 0.09 * 2/3
    expect(histogramQuantile(0.5, all)).toBeCloseTo(0.07, 10);
    // p99 falls in +Inf: the highest finite bound
    expect(histogramQuantile(0.99, all)).toBe(1);
    expect(histogramMean(all)).toBeCloseTo(2.655 / 6, 10);
    const none = { buckets: [], count: 0, sum: 0 };
    expect(histogramQuantile(0.5, none)).toBeNull();
    expect(histogramMean(none)).toBeNull();
    const delta = histogramDelta(
      { ...all, buckets: all.buckets.map((b) => ({ ...b, count: b.count - 1 })), count: 5, sum: 2 },
      all,
    );
    expect(delta.count).toBe(1);
    expect(delta.buckets.every((b) => b.count === 1)).toBe(true);
    // A restarted process (counters went down): the later scrape is the window.
    expect(histogramDelta(all, { ...all, count: 1 }).count).toBe(1);
  });
});
