import { round } from './latency.js';
import { type CumulativeHistogram, histogramDelta, histogramMean, histogramQuantile } from './histogram.js';
import { histogramOf, type PromSample, parsePrometheusText, sumOf } from './prometheusText.js';
import { scrape, type ScrapeTarget } from './scrape.js';

/**
 * The writers whose every action is one call of atomic_update_user_behavior (migration 024):
 * rpc directly, action (migration 026) from inside shield_record_action.
 */
export const functionWriters: readonly string[] = ['rpc', 'action'];

/** One scrape of the Shield API's counters (names: docs/http-api.md). Cumulative since the API started. */
export interface ShieldSnapshot {
  readonly at: string;
  readonly succeeded: number;
  readonly failed: number;
  readonly functionSucceeded: number;
  readonly functionFailed: number;
  /** Time per action, refused input (400) left out: it never reaches the database. */
  readonly duration: CumulativeHistogram;
  readonly roundTrips: CumulativeHistogram;
  readonly errorsByKind: Readonly<Record<string, number>>;
  /** The writer the API uses now (shield_writer == 1), null when not exposed. */
  readonly writer: string | null;
}

/** What the Shield API did between two snapshots. Latencies in ms, rates 0..1; null without actions. */
export interface ShieldFigures {
  readonly actions: number;
  readonly failed: number;
  readonly failureRate: number | null;
  readonly functionActions: number;
  readonly functionFailed: number;
  /** Failed / all actions of the rpc and action writers: each is one call of the function. */
  readonly functionErrorRate: number | null;
  readonly latencyMeanMs: number | null;
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly dbCallsPerAction: number | null;
  readonly writer: string | null;
}

export async function readShieldSnapshot(target: ScrapeTarget, signal: AbortSignal): Promise<ShieldSnapshot> {
  const at = new Date().toISOString();
  return shieldSnapshot(parsePrometheusText(await scrape(target, signal)), at);
}

export function shieldSnapshot(samples: readonly PromSample[], at: string): ShieldSnapshot {
  const actions = 'shield_actions_total';
  const errorsByKind: Record<string, number> = {};
  for (const s of samples) {
    if (s.name === 'shield_http_errors_total' && s.labels.kind !== undefined) errorsByKind[s.labels.kind] = (errorsByKind[s.labels.kind] ?? 0) + s.value;
  }
  const current = samples.find((s) => s.name === 'shield_writer' && s.value === 1);
  return {
    at,
    succeeded: sumOf(samples, actions, { result: 'success' }),
    failed: sumOf(samples, actions, { result: 'failed' }),
    functionSucceeded: functionWriters.reduce((n, writer) => n + sumOf(samples, actions, { writer, result: 'success' }), 0),
    functionFailed: functionWriters.reduce((n, writer) => n + sumOf(samples, actions, { writer, result: 'failed' }), 0),
    duration: histogramOf(samples, 'shield_action_duration_seconds', { result: (r) => r !== 'invalid' }),
    roundTrips: histogramOf(samples, 'shield_action_db_round_trips'),
    errorsByKind,
    writer: current?.labels.writer ?? null,
  };
}

/** Figures over everything the API has done since it started (a baseline without a window). */
export const sinceStart: ShieldSnapshot = {
  at: '',
  succeeded: 0,
  failed: 0,
  functionSucceeded: 0,
  functionFailed: 0,
  duration: { buckets: [], count: 0, sum: 0 },
  roundTrips: { buckets: [], count: 0, sum: 0 },
  errorsByKind: {},
  writer: null,
};

export function shieldFigures(start: ShieldSnapshot, now: ShieldSnapshot): ShieldFigures {
  // A counter that went down: the API restarted in between; its own counters are the window then.
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
    actions: succeeded + failed,
    failed,
    failureRate: succeeded + failed > 0 ? round(failed / (succeeded + failed), 4) : null,
    functionActions: functionSucceeded + functionFailed,
    functionFailed,
    functionErrorRate: functionSucceeded + functionFailed > 0 ? round(functionFailed / (functionSucceeded + functionFailed), 4) : null,
    latencyMeanMs: ms(histogramMean(duration)),
    latencyP50Ms: ms(histogramQuantile(0.5, duration)),
    latencyP95Ms: ms(histogramQuantile(0.95, duration)),
    latencyP99Ms: ms(histogramQuantile(0.99, duration)),
    dbCallsPerAction: mean === null ? null : round(mean, 2),
    writer: now.writer,
  };
}
