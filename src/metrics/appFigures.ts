import { round } from './latency.js';
import type { AppMetricNames, LabelValues, MetricSelector } from './appMetricNames.js';
import { type CumulativeHistogram, histogramDelta, histogramMean, histogramQuantile } from './histogram.js';
import { histogramOf, type LabelMatch, type PromSample, parsePrometheusText, sumOf } from './prometheusText.js';
import { scrape, type ScrapeTarget } from './scrape.js';

/** One scrape of an app's counters, as its declared metric names pick them. Cumulative since the app started. */
export interface AppSnapshot {
  readonly at: string;
  /** Requests that did not fail (requests − errors). */
  readonly succeeded: number;
  readonly failed: number;
  /** The same, of the requests that each are one call of the monitored function (function_labels). */
  readonly functionSucceeded: number;
  readonly functionFailed: number;
  /** Time per request, in seconds. */
  readonly duration: CumulativeHistogram;
  readonly roundTrips: CumulativeHistogram;
  /** The mode the app runs in (its mode gauge's label), null when not exposed. */
  readonly writer: string | null;
}

/** What the app did between two snapshots. Latencies in ms, rates 0..1; null without requests. */
export interface AppFigures {
  readonly requests: number;
  readonly failed: number;
  readonly failureRate: number | null;
  readonly functionRequests: number;
  readonly functionFailed: number;
  /** Failed / all requests that each are one call of the function: counted by the app, so a call that failed before it returned counts. */
  readonly functionErrorRate: number | null;
  readonly latencyMeanMs: number | null;
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly dbCallsPerRequest: number | null;
  readonly writer: string | null;
}

export async function readAppSnapshot(
  target: ScrapeTarget,
  names: AppMetricNames,
  signal: AbortSignal,
): Promise<AppSnapshot> {
  const at = new Date().toISOString();
  return appSnapshot(parsePrometheusText(await scrape(target, signal)), names, at);
}

function labelMatch(labels: LabelValues): LabelMatch {
  return Object.fromEntries(
    Object.entries(labels).map(([label, want]) => [
      label,
      typeof want === 'string' ? want : (have: string) => want.includes(have),
    ]),
  );
}

const noHistogram: CumulativeHistogram = { buckets: [], count: 0, sum: 0 };

export function appSnapshot(samples: readonly PromSample[], names: AppMetricNames, at: string): AppSnapshot {
  const count = (metric: MetricSelector, extra: LabelValues = {}) =>
    sumOf(samples, metric.name, labelMatch({ ...metric.labels, ...extra }));
  const histogram = (metric: MetricSelector | undefined) =>
    metric ? histogramOf(samples, metric.name, labelMatch(metric.labels)) : noHistogram;
  const fn = names.functionLabels ?? {};
  const failed = count(names.errors);
  const functionFailed = count(names.errors, fn);
  const latency = histogram(names.latency);
  const mode = names.mode && samples.find((s) => s.name === names.mode!.gauge && s.value === 1);
  return {
    at,
    succeeded: Math.max(0, count(names.requests) - failed),
    failed,
    functionSucceeded: Math.max(0, count(names.requests, fn) - functionFailed),
    functionFailed,
    duration: names.latency?.unit === 'milliseconds' ? inSeconds(latency) : latency,
    roundTrips: histogram(names.dbCalls),
    writer: (mode && names.mode && mode.labels[names.mode.label]) ?? null,
  };
}

function inSeconds(h: CumulativeHistogram): CumulativeHistogram {
  return { buckets: h.buckets.map((b) => ({ le: b.le / 1000, count: b.count })), count: h.count, sum: h.sum / 1000 };
}

/** Figures over everything the app has done since it started (a baseline without a window). */
export const sinceStart: AppSnapshot = {
  at: '',
  succeeded: 0,
  failed: 0,
  functionSucceeded: 0,
  functionFailed: 0,
  duration: noHistogram,
  roundTrips: noHistogram,
  writer: null,
};

export function appFigures(start: AppSnapshot, now: AppSnapshot): AppFigures {
  // A counter that went down: the app restarted in between; its own counters are the window then.
  const from = now.succeeded + now.failed < start.succeeded + start.failed ? sinceStart : start;
  const succeeded = now.succeeded - from.succeeded;
  const failed = now.failed - from.failed;
  const functionSucceeded = now.functionSucceeded - from.functionSucceeded;
  const functionFailed = now.functionFailed - from.functionFailed;
  const duration = histogramDelta(from.duration, now.duration);
  const roundTrips = histogramDelta(from.roundTrips, now.roundTrips);
  const ms = (seconds: number | null) => (seconds === null ? null : round(seconds * 1000, 2));
  const mean = histogramMean(roundTrips);
  return {
    requests: succeeded + failed,
    failed,
    failureRate: succeeded + failed > 0 ? round(failed / (succeeded + failed), 4) : null,
    functionRequests: functionSucceeded + functionFailed,
    functionFailed,
    functionErrorRate:
      functionSucceeded + functionFailed > 0 ? round(functionFailed / (functionSucceeded + functionFailed), 4) : null,
    latencyMeanMs: ms(histogramMean(duration)),
    latencyP50Ms: ms(histogramQuantile(0.5, duration)),
    latencyP95Ms: ms(histogramQuantile(0.95, duration)),
    latencyP99Ms: ms(histogramQuantile(0.99, duration)),
    dbCallsPerRequest: mean === null ? null : round(mean, 2),
    writer: now.writer,
  };
}
