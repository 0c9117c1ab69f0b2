import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { interrupted } from './command/interrupted.js';
import { functionName } from './contract/spec.js';
import { type Breach, breaches, criteriaSchema, describeBreach, describeCriteria, unmeasuredCriteria } from './monitor/criteria.js';
import { duration, formatDuration } from './monitor/duration.js';
import { functionNotMeasured, type Sample, takeSample } from './monitor/sample.js';
import { type WindowFigures, windowFigures } from './monitor/window.js';
import type { StepContext, StepKind, StepOutcome } from './types.js';

const schema = z
  .strictObject({
    duration: duration('duration', { minMs: 1000, maxMs: 7 * 24 * 3_600_000 }),
    interval: duration('interval', { minMs: 100 }).default(2000),
    /** The function whose calls and mean time are watched (pg_stat_user_functions). */
    function: functionName.optional(),
    criteria: criteriaSchema,
  })
  .refine((m) => m.interval <= m.duration, { message: 'interval is longer than duration', path: ['interval'] });

export type MonitorSpec = z.infer<typeof schema>;

const settleMs = 1000;

/** Samples kept in `observed` (the evidence file keeps them all). */
const observedSamples = 120;

/**
 * `monitor`: samples the database every `interval` for `duration` and fails as
 * soon as a rollback criterion is breached (so `on_fail: rollback` triggers),
 * naming the criterion and the value.
 *
 * @example
 * - id: hour-one
 *   kind: monitor
 *   duration: 1h
 *   interval: 10s
 *   function: public.atomic_update_user_behavior
 *   criteria: { max_deadlocks: 0, max_mean_exec_ms: 15 }
 *   on_fail: rollback
 */
export const monitorStep: StepKind<MonitorSpec> = {
  kind: 'monitor',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: false,
  describe(spec) {
    return {
      summary: `watch for ${formatDuration(spec.duration)} every ${formatDuration(spec.interval)}${spec.function ? ` (${spec.function.qualified})` : ''}; roll back on ${describeCriteria(spec.criteria)}`,
      detail: 'pg_stat_database (deadlocks, commits, rollbacks), pg_stat_user_functions (calls, total_time), pg_stat_activity (lock waits)',
    };
  },
  async run(spec, context) {
    // Backends flush their counters about once a second: let what happened before the
    // window (the steps just run) land before the first sample, so it is not counted in it.
    await pause(settleMs, context.signal);
    const start = await takeSample(context.environment.db, spec.function);
    const unmeasured = unmeasuredCriteria(spec.criteria, functionNotMeasured(start, spec.function));
    for (const u of unmeasured) context.progress(`${u.criterion}: not measured (${u.reason})`);
    context.progress(`watching for ${formatDuration(spec.duration)} from ${start.at}`);
    const samples: { sample: Sample; figures: WindowFigures }[] = [];
    const ends = Date.now() + spec.duration;
    while (Date.now() < ends) {
      await pause(Math.min(spec.interval, ends - Date.now()), context.signal);
      const sample = await takeSample(context.environment.db, spec.function);
      const figures = windowFigures(start, sample);
      samples.push({ sample, figures });
      context.progress(progressLine(figures));
      const found = breaches(spec.criteria, figures);
      if (found.length > 0) return finish(spec, context, start, samples, unmeasured, found);
    }
    return finish(spec, context, start, samples, unmeasured, []);
  },
};

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw interrupted('monitoring');
  try {
    await sleep(Math.max(0, ms), undefined, { signal });
  } catch {
    throw interrupted('monitoring');
  }
}

async function finish(
  spec: MonitorSpec,
  context: StepContext,
  start: Sample,
  samples: readonly { sample: Sample; figures: WindowFigures }[],
  unmeasured: ReturnType<typeof unmeasuredCriteria>,
  found: readonly Breach[],
): Promise<StepOutcome> {
  const last = samples.at(-1)?.figures ?? windowFigures(start, start);
  const evidence = await context.writeEvidence(
    'samples.json',
    JSON.stringify({ start, samples }, null, 2),
    `${samples.length} monitor samples`,
  );
  const observed = {
    window_ms: last.elapsedMs,
    sample_count: samples.length,
    figures: last,
    unmeasured,
    breaches: found,
    samples: samples.slice(-observedSamples).map(({ figures }) => figures),
  };
  const metrics = {
    deadlocks: last.deadlocks,
    lock_waits_max: Math.max(0, ...samples.map((s) => s.figures.lockWaits)),
    ...(last.functionCalls !== null && { function_calls: last.functionCalls }),
    ...(last.meanExecMs !== null && { mean_exec_ms: last.meanExecMs }),
    ...(last.rollbackRate !== null && { rollback_rate: last.rollbackRate }),
  };
  const expected = describeCriteria(spec.criteria);
  const notMeasured = unmeasured.length ? ` (not measured: ${unmeasured.map((u) => u.criterion).join(', ')})` : '';
  if (found.length > 0) {
    return {
      status: 'failed',
      expected,
      observed,
      metrics,
      evidence: [evidence],
      message: `${found.map(describeBreach).join('; ')} after ${formatDuration(Math.round(last.elapsedMs / 100) * 100)}`,
    };
  }
  return {
    status: 'passed',
    expected,
    observed,
    metrics,
    evidence: [evidence],
    message: `no criterion breached in ${formatDuration(spec.duration)} (${samples.length} samples)${notMeasured}`,
  };
}

function progressLine(f: WindowFigures): string {
  const parts = [`${Math.round(f.elapsedMs / 1000)}s`, `deadlocks ${f.deadlocks}`, `lock waits ${f.lockWaits}`];
  if (f.functionCalls !== null) parts.push(`calls ${f.functionCalls}`);
  if (f.meanExecMs !== null) parts.push(`mean ${f.meanExecMs} ms`);
  if (f.rollbackRate !== null) parts.push(`rollback rate ${f.rollbackRate}`);
  return parts.join(', ');
}
