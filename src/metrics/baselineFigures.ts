import type { StepContext, StepOutcome } from '../steps/types.js';
import { type FunctionSource, recordedFunctionSource } from './functionSource.js';
import type { AppFigures } from './appFigures.js';
import { currentNames } from './recordedNames.js';

/** The baseline step's figures a monitor compares with (its metric names, read back from the run log). */
export interface BaselineFigures {
  readonly stepId: string;
  readonly failureRate: number | null;
  readonly latencyMeanMs: number | null;
  readonly latencyP95Ms: number | null;
  readonly dbCallsPerRequest: number | null;
  /** Over the baseline's window when it had one, else since the statistics were reset. */
  readonly meanExecMs: number | null;
  readonly functionErrorRate: number | null;
  /** Where meanExecMs came from; null when the baseline recorded none (older runs, no function). */
  readonly functionSource: FunctionSource['source'] | null;
  readonly raceEvents: number | null;
  readonly deadlocks: number | null;
}

/**
 * Metric names the baseline step records; the monitor and the report read them back. The app's
 * are any app's (from its /metrics); a run logged before they were named so holds Shield's
 * (recordedNames.ts reads those as these).
 */
export const baselineMetric = {
  failureRate: 'app_failure_rate',
  latencyMeanMs: 'app_latency_mean_ms',
  latencyP50Ms: 'app_latency_p50_ms',
  latencyP95Ms: 'app_latency_p95_ms',
  latencyP99Ms: 'app_latency_p99_ms',
  dbCallsPerRequest: 'app_db_calls_per_request',
  /** The app's calls of the step's function that failed (function_labels): the app counts them, the database cannot. */
  functionErrorRate: 'function_error_rate',
  requests: 'app_requests',
  raceEvents: 'race_events',
} as const;

/** The app's figures as outcome metrics under the names above (the same for baseline and monitor, so they compare). */
export function appFigureMetrics(app: AppFigures | null): Record<string, number> {
  if (!app) return {};
  const metrics: Record<string, number> = { [baselineMetric.requests]: app.requests };
  const optional: [string, number | null][] = [
    [baselineMetric.failureRate, app.failureRate],
    [baselineMetric.functionErrorRate, app.functionErrorRate],
    [baselineMetric.latencyMeanMs, app.latencyMeanMs],
    [baselineMetric.latencyP50Ms, app.latencyP50Ms],
    [baselineMetric.latencyP95Ms, app.latencyP95Ms],
    [baselineMetric.latencyP99Ms, app.latencyP99Ms],
    [baselineMetric.dbCallsPerRequest, app.dbCallsPerRequest],
  ];
  for (const [name, value] of optional) if (value !== null) metrics[name] = value;
  return metrics;
}

export function baselineFigures(stepId: string, outcome: StepOutcome): BaselineFigures {
  const m = currentNames(outcome.metrics ?? {});
  const get = (name: string) => (typeof m[name] === 'number' ? m[name] : null);
  return {
    stepId,
    failureRate: get(baselineMetric.failureRate),
    latencyMeanMs: get(baselineMetric.latencyMeanMs),
    latencyP95Ms: get(baselineMetric.latencyP95Ms),
    dbCallsPerRequest: get(baselineMetric.dbCallsPerRequest),
    meanExecMs: get('window_mean_exec_ms') ?? get('function_mean_exec_ms'),
    functionErrorRate: get(baselineMetric.functionErrorRate),
    functionSource: recordedFunctionSource(outcome.observed)?.source ?? null,
    raceEvents: get(baselineMetric.raceEvents),
    deadlocks: get('window_deadlocks'),
  };
}

/** The figures of the baseline step `stepId` of this run, or why there are none. */
export function readBaseline(
  stepId: string | undefined,
  context: Pick<StepContext, 'history'>,
): BaselineFigures | string | null {
  if (stepId === undefined) return null;
  const outcome = context.history.outcomeOf(stepId);
  if (outcome === undefined) return `baseline step ${stepId} has no outcome in this run`;
  return baselineFigures(stepId, outcome);
}

/**
 * A function mean time from another source is another measure (pg_stat_statements times the
 * whole statement): the baseline's is then left out of the comparison, with the reason.
 */
export function comparableBaseline(
  baseline: BaselineFigures | null,
  source: FunctionSource | null,
): { baseline: BaselineFigures | null; reason?: string } {
  if (
    !baseline ||
    baseline.meanExecMs === null ||
    !baseline.functionSource ||
    !source ||
    baseline.functionSource === source.source
  )
    return { baseline };
  return {
    baseline: { ...baseline, meanExecMs: null },
    reason: `baseline ${baseline.stepId} read the function's time from ${baseline.functionSource}, this window from ${source.source}`,
  };
}
