import { round } from './latency.js';
import type { AppFigures } from './appFigures.js';
import type { WindowFigures } from './window.js';

/**
 * One monitor sample as recorded in `observed.samples` and charted by the HTML report:
 * deadlocks and the rollback rate since the window started (what the criteria judge),
 * rates and times over the interval since the previous sample (what a chart shows).
 * Every series is a number or null (not measured at that sample).
 */
export interface MonitorPoint {
  readonly at: string;
  readonly elapsed_s: number;
  readonly deadlocks: number;
  readonly rollback_rate: number | null;
  readonly lock_waits: number;
  readonly table_lock_waits: number | null;
  readonly function_calls_per_s: number | null;
  readonly mean_exec_ms: number | null;
  readonly app_requests_per_s: number | null;
  readonly app_failure_rate: number | null;
  readonly app_latency_mean_ms: number | null;
  readonly app_latency_p95_ms: number | null;
  readonly app_db_calls_per_request: number | null;
  /** Why the app's figures are missing at this sample (a failed scrape). */
  readonly app_scrape_error?: string;
}

/** The numeric series of a point, in chart order, with their titles and units; `functionFigure`: read from the step's function source. */
export const pointSeries = [
  { key: 'function_calls_per_s', title: 'Function calls', unit: 'calls/s', functionFigure: true },
  { key: 'mean_exec_ms', title: 'Function mean execution time', unit: 'ms', functionFigure: true },
  { key: 'deadlocks', title: 'Deadlocks in the window', unit: 'count' },
  { key: 'lock_waits', title: 'Lock waits (database)', unit: 'backends' },
  { key: 'table_lock_waits', title: 'Lock waits on the watched table', unit: 'backends' },
  { key: 'rollback_rate', title: 'Transaction rollback rate', unit: 'ratio' },
  { key: 'app_requests_per_s', title: 'App requests', unit: 'requests/s' },
  { key: 'app_failure_rate', title: 'App request failure rate', unit: 'ratio' },
  { key: 'app_latency_mean_ms', title: 'App request latency (mean)', unit: 'ms' },
  { key: 'app_latency_p95_ms', title: 'App request latency (p95)', unit: 'ms' },
  { key: 'app_db_calls_per_request', title: 'DB calls per request', unit: 'calls' },
] as const satisfies readonly { key: keyof MonitorPoint; title: string; unit: string; functionFigure?: boolean }[];

export function monitorPoint(
  at: string,
  sinceStart: WindowFigures,
  sincePrevious: WindowFigures,
  appSincePrevious: AppFigures | null,
  appScrapeError?: string,
): MonitorPoint {
  const seconds = sincePrevious.elapsedMs / 1000;
  const perSecond = (n: number | null) => (n === null || seconds <= 0 ? null : round(n / seconds, 2));
  return {
    at,
    elapsed_s: round(sinceStart.elapsedMs / 1000, 1),
    deadlocks: sinceStart.deadlocks,
    rollback_rate: sinceStart.rollbackRate,
    lock_waits: sinceStart.lockWaits,
    table_lock_waits: sinceStart.tableLockWaits,
    function_calls_per_s: perSecond(sincePrevious.functionCalls),
    mean_exec_ms: sincePrevious.meanExecMs,
    app_requests_per_s: appSincePrevious ? perSecond(appSincePrevious.requests) : null,
    app_failure_rate: appSincePrevious?.failureRate ?? null,
    app_latency_mean_ms: appSincePrevious?.latencyMeanMs ?? null,
    app_latency_p95_ms: appSincePrevious?.latencyP95Ms ?? null,
    app_db_calls_per_request: appSincePrevious?.dbCallsPerRequest ?? null,
    ...(appScrapeError !== undefined && { app_scrape_error: appScrapeError }),
  };
}

/** The progress line of one sample (the live task list and the run log). */
export function progressLine(db: WindowFigures, app: AppFigures | null): string {
  const parts = [`${Math.round(db.elapsedMs / 1000)}s`, `deadlocks ${db.deadlocks}`, `lock waits ${db.lockWaits}`];
  if (db.tableLockWaits !== null) parts.push(`on the table ${db.tableLockWaits}`);
  if (db.functionCalls !== null) parts.push(`calls ${db.functionCalls}`);
  if (db.meanExecMs !== null) parts.push(`mean ${db.meanExecMs} ms`);
  if (db.rollbackRate !== null) parts.push(`rollback rate ${db.rollbackRate}`);
  if (app) {
    parts.push(`app ${app.requests} requests, ${app.failed} failed`);
    if (app.latencyMeanMs !== null) parts.push(`latency mean ${app.latencyMeanMs} ms, p95 ${app.latencyP95Ms} ms`);
    if (app.dbCallsPerRequest !== null) parts.push(`${app.dbCallsPerRequest} DB calls/request`);
  }
  return parts.join(', ');
}

/**
 * At most `max` of `points`, spread evenly over the whole window, first and last always kept
 * (the last is where a breach stopped the window). A 24 h window at 10 s is 8,640 samples: the
 * run log keeps a chartable outline of all of it, not its last minutes; samples.json keeps every one.
 *
 * @example spreadOver([p0, p1, p2, p3, p4], 3) // [p0, p2, p4]
 */
export function spreadOver<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  if (max <= 1) return points.slice(-1);
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]!);
}
