import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { DatabaseError, ExitCode, ShipcheckError, InterruptedError } from '../errors.js';
import { functionName } from './shared/functionName.js';
import { comparableBaseline, readBaseline } from '../metrics/baselineFigures.js';
import { continueWith, rebased, startContinuity } from '../metrics/continuity.js';
import { baselineCriteria, criteriaSchema, describeCriteria, evaluate, windowCriteria } from './monitor/criteria.js';
import { duration, formatDuration } from './shared/duration.js';
import { finishMonitor, type MonitorRecord } from './monitor/outcome.js';
import { benchmarkSchema } from '../metrics/benchmark.js';
import { monitorPoint, progressLine } from '../metrics/points.js';
import { raceProbeSchema, runRaceProbe } from '../metrics/raceProbe.js';
import { detectFunctionSource } from '../metrics/detectFunctionSource.js';
import { describeFunctionSource } from '../metrics/functionSource.js';
import { functionNotMeasured, type Sample, takeSample, type Watched } from '../metrics/sample.js';
import { readAppSnapshot, type AppSnapshot, appFigures } from '../metrics/appFigures.js';
import { appMetricsOf, metricsSourceFields, oneMetricsSource, resolveAppSource } from '../metrics/appSource.js';
import { type MissingSources, unmeasuredCriteria } from './monitor/unmeasured.js';
import { windowFigures } from '../metrics/window.js';
import { savedWindow } from './monitor/windowLog.js';
import type { StepContext, StepKind } from './types.js';

const schema = z
  .strictObject({
    duration: duration('duration', { minMs: 1000, maxMs: 7 * 24 * 3_600_000 }).describe(
      'how long to watch (1s to 7 days)',
    ),
    interval: duration('interval', { minMs: 100 }).default(2000).describe('time between samples'),
    function: functionName.optional().describe('function whose calls and mean execution time are watched'),
    lock_table: z
      .string()
      .regex(
        /^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$/,
        'lock_table must be schema.name in lower case, e.g. public.orders',
      )
      .optional()
      .describe('table whose lock waiters are counted apart; required by max_table_lock_waits'),
    ...metricsSourceFields,
    baseline: z
      .string()
      .min(1)
      .optional()
      .describe('id of the baseline step to compare with (relative criteria, benchmark table)'),
    race_probe: raceProbeSchema
      .optional()
      .describe('after the window: simultaneous actions with the writer in use; lost updates = race events'),
    benchmark: benchmarkSchema.optional(),
    criteria: criteriaSchema.describe('rollback criteria: a breach fails the step at once'),
    on_resume: z
      .enum(['continue', 'restart'])
      .default('continue')
      .describe(
        'after a restart of shipcheck mid-window: continue the same window to its planned end (samples taken so far kept, the gap recorded), or restart: watch a new full window',
      ),
  })
  .refine(oneMetricsSource.check, oneMetricsSource.message)
  .refine((m) => m.interval <= m.duration, { message: 'interval is longer than duration', path: ['interval'] })
  // No default table: a default that does not exist on the target made the criterion "not measured" and the step pass.
  .refine((m) => m.criteria.max_table_lock_waits === undefined || m.lock_table !== undefined, {
    message: 'max_table_lock_waits counts lock waiters on one table: name it in lock_table (schema.name)',
    path: ['lock_table'],
  })
  .refine((m) => m.baseline !== undefined || baselineCriteria.every((c) => m.criteria[c] === undefined), {
    message: `${baselineCriteria.join(' and ')} compare with a baseline: name the baseline step in baseline`,
    path: ['baseline'],
  });

export type MonitorSpec = z.infer<typeof schema>;

const settleMs = 1000;

/**
 * `monitor`: samples the database (and an app's Prometheus metrics) every `interval` for
 * `duration` and fails as soon as a rollback criterion is breached (so `on_fail: rollback`
 * triggers), naming the criterion, the threshold and the value. After the window: the
 * seed's "Performance Benchmarking" table, baseline vs after.
 *
 * @example
 * - id: hour-one
 *   kind: monitor
 *   duration: 1h
 *   interval: 10s
 *   function: public.record_event
 *   shield_metrics: { url_env: SHIELD_METRICS_URL, token_env: SHIELD_API_TOKEN }
 *   baseline: staging-baseline
 *   race_probe: { actions: 10 }
 *   criteria: { max_deadlocks: 0, max_mean_exec_ms: 15, max_function_error_rate: 0.01, max_failure_increase: 0.1, max_degradation: 0.2 }
 *   on_fail: rollback
 */
export const monitorStep: StepKind<MonitorSpec> = {
  kind: 'monitor',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: false,
  gateEvidence: 'watches',
  describe(spec) {
    const metrics = appMetricsOf(spec);
    const extras = [
      spec.function?.qualified,
      metrics && `app metrics${metrics.preset ? ` (${metrics.preset})` : ''} from $${metrics.url_env}`,
      spec.baseline && `vs ${spec.baseline}`,
    ].filter(Boolean);
    return {
      summary: `watch for ${formatDuration(spec.duration)} every ${formatDuration(spec.interval)}${extras.length ? ` (${extras.join(', ')})` : ''}; roll back on ${describeCriteria(windowCriteria(spec.criteria))}`,
      detail:
        'pg_stat_database (deadlocks, commits, rollbacks), pg_stat_user_functions (calls, total_time; pg_stat_statements when track_functions is none), pg_stat_activity + pg_locks (lock waits)' +
        (metrics ? ", the app's /metrics (requests, errors, latency and DB calls per request)" : '') +
        (spec.race_probe
          ? `; then ${spec.race_probe.actions} simultaneous actions on ${spec.race_probe.platform}/${spec.race_probe.user_id} (writer ${spec.race_probe.writer})`
          : ''),
    };
  },
  async run(spec, context) {
    const source = resolveAppSource(appMetricsOf(spec), context.env ?? process.env, context.step.id);
    const baseline = readBaseline(spec.baseline, context);
    const db = context.environment.db;
    const criteria = windowCriteria(spec.criteria);
    const earlier = context.checkpoints ?? [];
    const saved = spec.on_resume === 'continue' ? savedWindow(earlier) : undefined;
    if (!saved && earlier.length > 0) {
      context.progress(
        spec.on_resume === 'restart'
          ? 'on_resume: restart — the interrupted window is dropped, a new one starts'
          : 'the interrupted attempt left no window to continue (it stopped before its first sample): a new one starts',
      );
    }
    const functionSource = spec.function
      ? (saved?.functionSource ?? (await detectFunctionSource(db, spec.function)))
      : null;
    const watchedFunction = spec.function && functionSource && { name: spec.function, source: functionSource };
    const watched: Watched = {
      ...(spec.lock_table && { table: spec.lock_table }),
      ...(watchedFunction && { function: watchedFunction }),
    };
    // Backends flush their counters about once a second: let what happened before the
    // window (the steps just run) land before the first sample, so it is not counted in it.
    if (!saved) await pause(settleMs, context.signal);
    const start = saved?.start ?? (await takeSample(db, watched));
    const appStart = saved
      ? saved.appStart
      : 'target' in source
        ? await readAppSnapshot(source.target, source.names, context.signal)
        : null;
    const comparable = comparableBaseline(typeof baseline === 'string' ? null : baseline, functionSource);
    const missing: MissingSources = {
      function: watchedFunction
        ? functionNotMeasured(start, watchedFunction.name, watchedFunction.source)
        : 'no function named in the step',
      app: 'notMeasured' in source ? source.notMeasured : undefined,
      baseline: typeof baseline === 'string' ? baseline : undefined,
      baselineFunction: comparable.reason,
    };
    const baselineData = comparable.baseline;
    const unmeasured = unmeasuredCriteria(spec.criteria, missing, baselineData);
    for (const u of unmeasured) context.progress(`${u.criterion}: not measured (${u.reason})`);
    if (functionSource) context.progress(`function figures: ${describeFunctionSource(functionSource)}`);

    const ends = saved?.endsAt ?? Date.now() + spec.duration;
    const record: MonitorRecord = {
      start,
      functionSource,
      appStart,
      baseline: baselineData,
      unmeasured,
      points: saved?.points ?? [],
      scrapeFailures: 0,
      unreachableSamples: 0,
      serverChanges: saved?.changes ?? [],
      gaps: saved?.gaps ?? [],
      ...(saved?.last && { last: saved.last }),
    };
    let continuity = saved?.continuity ?? startContinuity(start);
    let previous = rebased(continuity);
    if (saved) {
      const now = new Date().toISOString();
      const lastAt = continuity.last.at;
      record.gaps.push({ from: lastAt, to: now });
      await context.checkpoint?.({
        kind: 'window_resumed',
        at: now,
        last_sample_at: lastAt,
        gap_ms: Date.parse(now) - Date.parse(lastAt),
      });
      context.progress(
        `continuing the window started at ${start.at} (${record.points.length} samples so far, none from ${lastAt} to ${now}); it ends as planned at ${new Date(ends).toISOString()}`,
      );
      // A breach the killed attempt saw but did not live to record still fails the window.
      if (saved.last) {
        const judged = evaluate(criteria, { db: saved.last.db, app: saved.last.app, baseline: baselineData });
        record.values = judged.values;
        if (judged.breaches.length > 0)
          return finishMonitor({ ...spec, criteria }, context, record, judged.breaches, null);
      }
    } else {
      context.progress(`watching for ${formatDuration(spec.duration)} from ${start.at}`);
      await context.checkpoint?.({
        kind: 'window_started',
        start,
        ends_at: new Date(ends).toISOString(),
        app_start: appStart,
        function_source: functionSource,
      });
    }

    let previousApp: AppSnapshot | null = saved ? null : appStart;
    let unreachable: { error: ShipcheckError; since: number; missed: number } | undefined;
    // A resumed window samples at once: what happened while shipcheck was down counts now.
    let immediately = saved !== undefined;
    while (immediately || Date.now() < ends) {
      if (!immediately) await pause(Math.min(spec.interval, ends - Date.now()), context.signal);
      immediately = false;
      const taken = await sampleOrUnreachable(db, watched, context);
      if ('unreachable' in taken) {
        record.unreachableSamples++;
        unreachable = {
          error: taken.unreachable,
          since: unreachable?.since ?? Date.now(),
          missed: (unreachable?.missed ?? 0) + 1,
        };
        // A restart takes seconds; a server gone for longer is an outage the window must not sit through.
        if (Date.now() - unreachable.since > maxUnreachableMs) throw serverGone(unreachable);
        continue;
      }
      unreachable = undefined;
      const next = continueWith(continuity, taken.sample);
      continuity = next.continuity;
      const sample = next.sample;
      if (next.change) {
        record.serverChanges.push(next.change);
        context.progress(next.change.description);
      }
      const scraped = 'target' in source ? await scrapeOrExplain(source, context) : null;
      const appNow = scraped && 'snapshot' in scraped ? scraped.snapshot : null;
      if (scraped && 'error' in scraped) record.scrapeFailures++;
      const dbFigures = windowFigures(start, sample);
      const appWindow = appStart && appNow ? appFigures(appStart, appNow) : null;
      const appInterval = previousApp && appNow ? appFigures(previousApp, appNow) : null;
      const point = monitorPoint(
        sample.at,
        dbFigures,
        windowFigures(previous, sample),
        appInterval,
        scraped && 'error' in scraped ? scraped.error : undefined,
      );
      record.points.push(point);
      record.last = { db: dbFigures, app: appWindow ?? record.last?.app ?? null };
      previous = sample;
      if (appNow) previousApp = appNow;
      await context.checkpoint?.({
        kind: 'sample',
        raw: taken.sample,
        offsets: continuity.offsets,
        restarts: continuity.restarts,
        point,
        last: record.last,
        ...(next.change && { change: next.change }),
      });
      context.progress(progressLine(dbFigures, appWindow));
      const judged = evaluate(criteria, { db: dbFigures, app: appWindow, baseline: baselineData });
      record.values = judged.values;
      if (judged.breaches.length > 0)
        return finishMonitor({ ...spec, criteria }, context, record, judged.breaches, null);
    }
    // The server was down when the window ended: there is no last reading to judge it by.
    if (unreachable) throw serverGone(unreachable);
    const probe = spec.race_probe
      ? await runRaceProbe(spec.race_probe, context.environment, record.last?.app?.writer ?? appStart?.writer ?? null)
      : null;
    if (probe)
      context.progress(
        `race probe: ${probe.actions} simultaneous actions with the ${probe.writer} writer (${probe.writerFrom}), ${probe.lost} lost`,
      );
    return finishMonitor({ ...spec, criteria }, context, record, [], probe);
  },
};

/**
 * A sample, or the error that says the server cannot be reached (restarting, crashed): the
 * window goes on and the next sample tells what the restart did to the counters.
 */
async function sampleOrUnreachable(
  db: Database,
  watched: Watched,
  context: StepContext,
): Promise<{ sample: Sample } | { unreachable: ShipcheckError }> {
  try {
    return { sample: await takeSample(db, watched) };
  } catch (error) {
    if (context.signal.aborted) throw InterruptedError.duringStep('monitoring');
    if (!(error instanceof DatabaseError) || !serverUnavailable(error)) throw error;
    context.progress(`no sample: the server cannot be reached (${error.message})`);
    return { unreachable: error };
  }
}

/** Longest the window waits for an unreachable server to come back before the step errors. */
const maxUnreachableMs = 60_000;

function serverGone(unreachable: { error: ShipcheckError; since: number; missed: number }): ShipcheckError {
  return new ShipcheckError(
    `the server could not be reached for ${formatDuration(Math.round((Date.now() - unreachable.since) / 1000) * 1000 || 1000)} (${unreachable.missed} samples missed): the window cannot be judged`,
    {
      code: 'server_unreachable',
      exitCode: ExitCode.database,
      detail: unreachable.error.message,
      cause: unreachable.error,
    },
  );
}

/** Connection lost or refused, or the server shutting down or starting up (SQLSTATE class 08, 57P0x). */
function serverUnavailable(error: DatabaseError): boolean {
  return error.sqlState === undefined || /^(08|57P0)/.test(error.sqlState);
}

/** The baseline step's figures, or why there are none. */
async function scrapeOrExplain(
  source: {
    readonly target: Parameters<typeof readAppSnapshot>[0];
    readonly names: Parameters<typeof readAppSnapshot>[1];
  },
  context: StepContext,
): Promise<{ snapshot: AppSnapshot } | { error: string }> {
  try {
    return { snapshot: await readAppSnapshot(source.target, source.names, context.signal) };
  } catch (error) {
    if (context.signal.aborted) throw InterruptedError.duringStep('monitoring');
    // One failed scrape is recorded, not fatal: the database side of the window goes on.
    if (error instanceof ShipcheckError && error.code === 'metrics_unavailable') {
      context.progress(error.message);
      return { error: error.message };
    }
    throw error;
  }
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw InterruptedError.duringStep('monitoring');
  try {
    await sleep(Math.max(0, ms), undefined, { signal });
  } catch {
    throw InterruptedError.duringStep('monitoring');
  }
}
