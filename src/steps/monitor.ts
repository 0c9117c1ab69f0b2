import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ShipcheckError } from '../errors.js';
import { interrupted } from './command/interrupted.js';
import { functionName } from './contract/spec.js';
import { comparableBaseline, readBaseline } from './monitor/baselineFigures.js';
import { baselineCriteria, criteriaSchema, describeCriteria, evaluate } from './monitor/criteria.js';
import { duration, formatDuration } from './monitor/duration.js';
import { finishMonitor, type MonitorRecord } from './monitor/outcome.js';
import { monitorPoint, progressLine } from './monitor/points.js';
import { raceProbeSchema, runRaceProbe } from './monitor/raceProbe.js';
import { detectFunctionSource } from './monitor/detectFunctionSource.js';
import { describeFunctionSource } from './monitor/functionSource.js';
import { functionNotMeasured, takeSample, type Watched } from './monitor/sample.js';
import { readShieldSnapshot, type ShieldSnapshot, shieldFigures } from './monitor/shieldFigures.js';
import { resolveShieldSource, shieldMetricsSchema } from './monitor/shieldSource.js';
import { type MissingSources, unmeasuredCriteria } from './monitor/unmeasured.js';
import { windowFigures } from './monitor/window.js';
import type { StepContext, StepKind } from './types.js';

const schema = z
  .strictObject({
    duration: duration('duration', { minMs: 1000, maxMs: 7 * 24 * 3_600_000 }).describe('how long to watch (1s to 7 days)'),
    interval: duration('interval', { minMs: 100 }).default(2000).describe('time between samples'),
    /** The function whose calls and mean time are watched (pg_stat_user_functions, or pg_stat_statements). */
    function: functionName.optional().describe('function whose calls and mean execution time are watched'),
    /** The table whose lock waiters are counted apart (pg_locks). */
    lock_table: z
      .string()
      .regex(/^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$/, 'lock_table must be schema.name in lower case, e.g. public.user_behaviors')
      .default('public.user_behaviors')
      .describe('table whose lock waiters are counted apart'),
    /** The Shield API's /metrics: action failures, latency, DB calls per action. */
    shield_metrics: shieldMetricsSchema.optional().describe("the Shield API's /metrics: variables holding its URL and token"),
    /** Id of the baseline step this window is compared with (max_failure_increase, max_degradation, the benchmark table). */
    baseline: z.string().min(1).optional().describe('id of the baseline step to compare with (relative criteria, benchmark table)'),
    /** After the window: simultaneous actions with the writer in use, for the table's "race condition events". */
    race_probe: raceProbeSchema.optional().describe('after the window: simultaneous actions with the writer in use; lost updates = race events'),
    criteria: criteriaSchema.describe('rollback criteria: a breach fails the step at once'),
  })
  .refine((m) => m.interval <= m.duration, { message: 'interval is longer than duration', path: ['interval'] })
  .refine((m) => m.baseline !== undefined || baselineCriteria.every((c) => m.criteria[c] === undefined), {
    message: `${baselineCriteria.join(' and ')} compare with a baseline: name the baseline step in baseline`,
    path: ['baseline'],
  });

export type MonitorSpec = z.infer<typeof schema>;

const settleMs = 1000;

/**
 * `monitor`: samples the database (and the Shield API's metrics) every `interval` for
 * `duration` and fails as soon as a rollback criterion is breached (so `on_fail: rollback`
 * triggers), naming the criterion, the threshold and the value. After the window: the
 * seed's "Performance Benchmarking" table, baseline vs after.
 *
 * @example
 * - id: hour-one
 *   kind: monitor
 *   duration: 1h
 *   interval: 10s
 *   function: public.atomic_update_user_behavior
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
  describe(spec) {
    const extras = [
      spec.function && spec.function.qualified,
      spec.shield_metrics && `Shield metrics from $${spec.shield_metrics.url_env}`,
      spec.baseline && `vs ${spec.baseline}`,
    ].filter(Boolean);
    return {
      summary: `watch for ${formatDuration(spec.duration)} every ${formatDuration(spec.interval)}${extras.length ? ` (${extras.join(', ')})` : ''}; roll back on ${describeCriteria(spec.criteria)}`,
      detail:
        'pg_stat_database (deadlocks, commits, rollbacks), pg_stat_user_functions (calls, total_time; pg_stat_statements when track_functions is none), pg_stat_activity + pg_locks (lock waits)' +
        (spec.shield_metrics ? ', Shield /metrics (shield_actions_total, shield_action_duration_seconds, shield_action_db_round_trips)' : '') +
        (spec.race_probe ? `; then ${spec.race_probe.actions} simultaneous actions on ${spec.race_probe.platform}/${spec.race_probe.user_id} (writer ${spec.race_probe.writer})` : ''),
    };
  },
  async run(spec, context) {
    const source = resolveShieldSource(spec.shield_metrics, context.env ?? process.env, context.step.id);
    const baseline = readBaseline(spec.baseline, context);
    const db = context.environment.db;
    const watchedFunction = spec.function && { name: spec.function, source: await detectFunctionSource(db, spec.function) };
    const functionSource = watchedFunction?.source ?? null;
    const watched: Watched = { table: spec.lock_table, ...(watchedFunction && { function: watchedFunction }) };
    // Backends flush their counters about once a second: let what happened before the
    // window (the steps just run) land before the first sample, so it is not counted in it.
    await pause(settleMs, context.signal);
    const start = await takeSample(db, watched);
    const shieldStart = 'target' in source ? await readShieldSnapshot(source.target, context.signal) : null;
    const comparable = comparableBaseline(typeof baseline === 'string' ? null : baseline, functionSource);
    const missing: MissingSources = {
      function: watchedFunction ? functionNotMeasured(start, watchedFunction.name, watchedFunction.source) : 'no function named in the step',
      shield: 'notMeasured' in source ? source.notMeasured : undefined,
      baseline: typeof baseline === 'string' ? baseline : undefined,
      baselineFunction: comparable.reason,
    };
    const baselineData = comparable.baseline;
    const unmeasured = unmeasuredCriteria(spec.criteria, missing, baselineData);
    for (const u of unmeasured) context.progress(`${u.criterion}: not measured (${u.reason})`);
    if (functionSource) context.progress(`function figures: ${describeFunctionSource(functionSource)}`);
    context.progress(`watching for ${formatDuration(spec.duration)} from ${start.at}`);

    const record: MonitorRecord = { start, functionSource, shieldStart, baseline: baselineData, unmeasured, points: [], scrapeFailures: 0 };
    let previous = start;
    let previousShield = shieldStart;
    const ends = Date.now() + spec.duration;
    while (Date.now() < ends) {
      await pause(Math.min(spec.interval, ends - Date.now()), context.signal);
      const sample = await takeSample(db, watched);
      const scraped = 'target' in source ? await scrapeOrExplain(source.target, context) : null;
      const shieldNow = scraped && 'snapshot' in scraped ? scraped.snapshot : null;
      if (scraped && 'error' in scraped) record.scrapeFailures++;
      const dbFigures = windowFigures(start, sample);
      const shieldWindow = shieldStart && shieldNow ? shieldFigures(shieldStart, shieldNow) : null;
      const shieldInterval = previousShield && shieldNow ? shieldFigures(previousShield, shieldNow) : null;
      record.points.push(monitorPoint(sample.at, dbFigures, windowFigures(previous, sample), shieldInterval, scraped && 'error' in scraped ? scraped.error : undefined));
      record.last = { db: dbFigures, shield: shieldWindow ?? record.last?.shield ?? null };
      previous = sample;
      if (shieldNow) previousShield = shieldNow;
      context.progress(progressLine(dbFigures, shieldWindow));
      const judged = evaluate(spec.criteria, { db: dbFigures, shield: shieldWindow, baseline: baselineData });
      record.values = judged.values;
      if (judged.breaches.length > 0) return finishMonitor(spec, context, record, judged.breaches, null);
    }
    const probe = spec.race_probe
      ? await runRaceProbe(spec.race_probe, context.environment, record.last?.shield?.writer ?? shieldStart?.writer ?? null)
      : null;
    if (probe) context.progress(`race probe: ${probe.actions} simultaneous actions with the ${probe.writer} writer (${probe.writerFrom}), ${probe.lost} lost`);
    return finishMonitor(spec, context, record, [], probe);
  },
};

/** The baseline step's figures, or why there are none. */
async function scrapeOrExplain(
  target: Parameters<typeof readShieldSnapshot>[0],
  context: StepContext,
): Promise<{ snapshot: ShieldSnapshot } | { error: string }> {
  try {
    return { snapshot: await readShieldSnapshot(target, context.signal) };
  } catch (error) {
    if (context.signal.aborted) throw interrupted('monitoring');
    // One failed scrape is recorded, not fatal: the database side of the window goes on.
    if (error instanceof ShipcheckError && error.code === 'metrics_unavailable') {
      context.progress(error.message);
      return { error: error.message };
    }
    throw error;
  }
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw interrupted('monitoring');
  try {
    await sleep(Math.max(0, ms), undefined, { signal });
  } catch {
    throw interrupted('monitoring');
  }
}
