import { InterruptedError } from '../errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { describeTarget } from '../metrics/scrape.js';
import { round } from '../metrics/latency.js';
import { functionName } from './shared/functionName.js';
import { appFigureMetrics, baselineMetric, comparableBaseline, readBaseline } from '../metrics/baselineFigures.js';
import {
  type AfterFigures,
  type Benchmark,
  benchmarkSchema,
  type BenchmarkRowSpec,
  buildBenchmark,
  targetsSummary,
} from '../metrics/benchmark.js';
import { duration, formatDuration } from './shared/duration.js';
import { raceProbeSchema, type RaceProbeResult, runRaceProbe } from '../metrics/raceProbe.js';
import { detectFunctionSource } from '../metrics/detectFunctionSource.js';
import { functionNotMeasured, type Sample, takeSample, type Watched } from '../metrics/sample.js';
import { readAppSnapshot, type AppFigures, appFigures, sinceStart } from '../metrics/appFigures.js';
import { appMetricsOf, metricsSourceFields, oneMetricsSource, resolveAppSource } from '../metrics/appSource.js';
import { type WindowFigures, windowFigures } from '../metrics/window.js';
import { continueWith, type ServerChange, startContinuity } from '../metrics/continuity.js';
import type { StepContext, StepKind } from './types.js';

const schema = z
  .strictObject({
    function: functionName.optional().describe('function whose calls and mean time are recorded (may not exist yet)'),
    window: duration('window', { maxMs: 3_600_000 })
      .optional()
      .describe('also measure over this window: deltas and rates, not only totals'),
    ...metricsSourceFields,
    race_probe: raceProbeSchema
      .optional()
      .describe('simultaneous actions on a probe offender with the writer in use; lost updates = race events'),
    compare_with: z
      .string()
      .min(1)
      .optional()
      .describe(
        "id of an earlier baseline step of this run: the seed's Performance Benchmarking table, that baseline vs this window (needs window)",
      ),
    benchmark: benchmarkSchema.optional(),
  })
  .refine(oneMetricsSource.check, oneMetricsSource.message)
  .refine((b) => b.benchmark === undefined || b.compare_with !== undefined, {
    message:
      'benchmark declares the rows of the table a compare_with builds: name the earlier baseline in compare_with',
    path: ['benchmark'],
  })
  .refine((b) => b.compare_with === undefined || b.window !== undefined, {
    message: 'compare_with compares figures over a window: give window too',
    path: ['window'],
  });

export type BaselineSpec = z.infer<typeof schema>;

/**
 * `baseline`: records the figures a later `monitor` and the report compare with (the
 * seed's "Capture Baseline Metrics"). Always passes: it measures, it does not judge.
 *
 * @example
 * - id: capture-baseline
 *   kind: baseline
 *   function: public.record_event
 *   window: 10s
 *   shield_metrics: { url_env: SHIELD_METRICS_URL, token_env: SHIELD_API_TOKEN }
 *   race_probe: { actions: 10 }
 */
export const baselineStep: StepKind<BaselineSpec> = {
  kind: 'baseline',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: false,
  describe(spec) {
    const what = [
      'deadlocks, commits, rollbacks',
      spec.function && `${spec.function.qualified} calls/time`,
      appMetricsOf(spec) && 'app request latency, DB calls per request, failure rate',
    ]
      .filter(Boolean)
      .join('; ');
    return {
      summary: `record ${what}${spec.window ? ` over ${formatDuration(spec.window)}` : ''}${spec.race_probe ? `; race probe of ${spec.race_probe.actions} simultaneous actions` : ''}${spec.compare_with ? `; benchmark table vs ${spec.compare_with}` : ''}`,
      detail: `pg_stat_database, pg_stat_user_functions (pg_stat_statements when track_functions is none)${appMetricsOf(spec) ? `, the app's /metrics from $${appMetricsOf(spec)?.url_env}` : ''}`,
    };
  },
  async run(spec, context) {
    const db = context.environment.db;
    const source = resolveAppSource(appMetricsOf(spec), context.env ?? process.env, context.step.id);
    const watchedFunction = spec.function && {
      name: spec.function,
      source: await detectFunctionSource(db, spec.function),
    };
    const watched: Watched = watchedFunction ? { function: watchedFunction } : {};
    const first = await takeSample(db, watched);
    const appFirst = 'target' in source ? await readAppSnapshot(source.target, source.names, context.signal) : null;
    let window: WindowFigures | undefined;
    let serverChange: ServerChange | undefined;
    let app: AppFigures | null = appFirst && appFigures(sinceStart, appFirst);
    if (spec.window) {
      try {
        await sleep(spec.window, undefined, { signal: context.signal });
      } catch {
        throw InterruptedError.duringStep('taking the baseline');
      }
      // A crash inside the window restarts the counters: re-based as in a monitor, and said.
      const next = continueWith(startContinuity(first), await takeSample(db, watched));
      serverChange = next.change;
      if (serverChange) context.progress(`baseline window: ${serverChange.description}`);
      window = windowFigures(first, next.sample);
      if (appFirst && 'target' in source)
        app = appFigures(appFirst, await readAppSnapshot(source.target, source.names, context.signal));
    }
    // After the window, so the probe's own writes are not in the figures above.
    const probe = spec.race_probe
      ? await runRaceProbe(spec.race_probe, context.environment, app?.writer ?? null)
      : null;
    if (probe)
      context.progress(
        `race probe: ${probe.actions} simultaneous actions with the ${probe.writer} writer (${probe.writerFrom}), ${probe.lost} lost`,
      );

    const benchmark =
      spec.compare_with && window
        ? compareWithBaseline(
            spec.compare_with,
            context,
            { db: window, app, probe, functionSource: watchedFunction?.source ?? null },
            spec.benchmark,
          )
        : undefined;
    const notMeasured = functionNotMeasured(first, spec.function, watchedFunction?.source);
    const totals = totalsOf(first);
    const observed = {
      at: first.at,
      track_functions: first.trackFunctions,
      ...(watchedFunction && { function_source: watchedFunction.source }),
      ...(notMeasured && { function_not_measured: notMeasured }),
      totals,
      ...(window && { window }),
      ...(serverChange && { server_change: serverChange }),
      ...('target' in source
        ? {
            app: {
              url: describeTarget(source.target.url),
              over: window ? `the ${formatDuration(spec.window!)} window` : 'everything since the app started',
              figures: app,
            },
          }
        : appMetricsOf(spec) && { app_not_measured: source.notMeasured }),
      ...(probe && { race_probe: probe }),
      ...(benchmark && { benchmark }),
    };
    return {
      status: 'passed',
      expected: 'the figures recorded',
      observed,
      metrics: { ...totals, ...windowMetrics(window), ...appFigureMetrics(app), ...probeMetrics(probe) },
      message:
        baselineMessage(
          first,
          watchedFunction && { qualified: watchedFunction.name.qualified, source: watchedFunction.source.source },
          notMeasured,
          app,
          probe,
        ) + (benchmark ? `; vs ${spec.compare_with}: ${targetsSummary(benchmark)}` : ''),
    };
  },
};

/**
 * The seed's "Performance Benchmarking" table, the earlier baseline against this one's window.
 * Measures, does not judge: the step passes whatever the table says (the monitors judge).
 */
function compareWithBaseline(
  stepId: string,
  context: StepContext,
  after: AfterFigures,
  rows: readonly BenchmarkRowSpec[] | undefined,
): Benchmark {
  const earlier = readBaseline(stepId, context);
  if (typeof earlier === 'string') context.progress(`benchmark: ${earlier}`);
  const comparable = comparableBaseline(typeof earlier === 'string' ? null : earlier, after.functionSource);
  if (comparable.reason) context.progress(`benchmark: function mean time not compared (${comparable.reason})`);
  const benchmark = buildBenchmark(comparable.baseline, after, rows);
  // Named even when its figures are missing, so the table says what it was meant to compare with.
  return { ...benchmark, baselineStep: stepId };
}

function totalsOf(sample: Sample): Record<string, number> {
  return {
    deadlocks: sample.deadlocks,
    xact_commit: sample.xactCommit,
    xact_rollback: sample.xactRollback,
    ...(sample.functionCalls !== null && { function_calls: sample.functionCalls }),
    ...(sample.functionTotalMs !== null && { function_total_ms: sample.functionTotalMs }),
    ...(sample.functionCalls &&
      sample.functionTotalMs !== null && {
        function_mean_exec_ms: round(sample.functionTotalMs / sample.functionCalls, 3),
      }),
  };
}

function windowMetrics(window: WindowFigures | undefined): Record<string, number> {
  if (!window) return {};
  const seconds = window.elapsedMs / 1000;
  const metrics: Record<string, number> = {
    window_deadlocks: window.deadlocks,
    window_rollbacks: window.rollbacks,
    window_commits_per_s: seconds > 0 ? round(window.commits / seconds, 2) : 0,
  };
  if (window.functionCalls !== null) metrics.window_function_calls = window.functionCalls;
  if (window.meanExecMs !== null) metrics.window_mean_exec_ms = window.meanExecMs;
  if (window.rollbackRate !== null) metrics.window_rollback_rate = window.rollbackRate;
  return metrics;
}

function probeMetrics(probe: RaceProbeResult | null): Record<string, number> {
  if (!probe) return {};
  return {
    [baselineMetric.raceEvents]: probe.lost,
    race_probe_actions: probe.actions,
    race_probe_failed: probe.failed,
    race_probe_db_calls_per_action: probe.dbCallsPerAction,
  };
}

function baselineMessage(
  first: Sample,
  fn: { qualified: string; source: string } | undefined,
  notMeasured: string | undefined,
  app: AppFigures | null,
  probe: RaceProbeResult | null,
): string {
  const parts = [`${first.deadlocks} deadlocks so far`];
  if (first.functionCalls !== null && fn) parts.push(`${first.functionCalls} calls of ${fn.qualified} (${fn.source})`);
  else if (fn && notMeasured) parts.push(`function not measured: ${notMeasured}`);
  if (app) {
    parts.push(
      app.requests > 0
        ? `app ${app.requests} requests, latency mean ${app.latencyMeanMs} ms (p50 ${app.latencyP50Ms}, p95 ${app.latencyP95Ms}, p99 ${app.latencyP99Ms}), ${app.dbCallsPerRequest} DB calls/request, failure rate ${app.failureRate}`
        : 'the app handled no request',
    );
  }
  if (probe) parts.push(`${probe.lost} race events (${probe.writer} writer)`);
  return `baseline recorded: ${parts.join('; ')}`;
}
