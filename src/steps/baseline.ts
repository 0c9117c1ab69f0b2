import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { interrupted } from './command/interrupted.js';
import { functionName } from './contract/spec.js';
import { duration, formatDuration } from './monitor/duration.js';
import { functionNotMeasured, takeSample } from './monitor/sample.js';
import { windowFigures } from './monitor/window.js';
import type { StepKind } from './types.js';

const schema = z.strictObject({
  /** The function whose calls and time are recorded (it may not exist yet: a baseline is taken before the migration). */
  function: functionName.optional(),
  /** Also measure over a short window (two samples this far apart): rates, not only totals. */
  window: duration('window', { maxMs: 3_600_000 }).optional(),
});

export type BaselineSpec = z.infer<typeof schema>;

/**
 * `baseline`: records the counters a later `monitor` and the report compare with
 * (the seed's "Capture Baseline Metrics"). Always passes: it measures, it does not judge.
 *
 * @example
 * - id: capture-baseline
 *   kind: baseline
 *   function: public.atomic_update_user_behavior
 *   window: 10s
 */
export const baselineStep: StepKind<BaselineSpec> = {
  kind: 'baseline',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: false,
  describe(spec) {
    return {
      summary: `record deadlocks, commits, rollbacks${spec.function ? ` and ${spec.function.qualified} calls/time` : ''}${spec.window ? ` over ${formatDuration(spec.window)}` : ''}`,
      detail: 'pg_stat_database, pg_stat_user_functions',
    };
  },
  async run(spec, context) {
    const db = context.environment.db;
    const first = await takeSample(db, spec.function);
    const notMeasured = functionNotMeasured(first, spec.function);
    const totals = {
      deadlocks: first.deadlocks,
      xact_commit: first.xactCommit,
      xact_rollback: first.xactRollback,
      ...(first.functionCalls !== null && { function_calls: first.functionCalls }),
      ...(first.functionTotalMs !== null && { function_total_ms: first.functionTotalMs }),
      ...(first.functionCalls && first.functionTotalMs !== null && {
        function_mean_exec_ms: Math.round((first.functionTotalMs / first.functionCalls) * 1000) / 1000,
      }),
    };
    let window: ReturnType<typeof windowFigures> | undefined;
    if (spec.window) {
      try {
        await sleep(spec.window, undefined, { signal: context.signal });
      } catch {
        throw interrupted('taking the baseline');
      }
      window = windowFigures(first, await takeSample(db, spec.function));
    }
    const metrics: Record<string, number> = { ...totals };
    if (window) {
      metrics.window_deadlocks = window.deadlocks;
      if (window.functionCalls !== null) metrics.window_function_calls = window.functionCalls;
      if (window.meanExecMs !== null) metrics.window_mean_exec_ms = window.meanExecMs;
      if (window.rollbackRate !== null) metrics.window_rollback_rate = window.rollbackRate;
    }
    const observed = {
      at: first.at,
      track_functions: first.trackFunctions,
      ...(notMeasured && { function_not_measured: notMeasured }),
      totals,
      ...(window && { window }),
    };
    return {
      status: 'passed',
      expected: 'the counters recorded',
      observed,
      metrics,
      message: `baseline recorded: ${first.deadlocks} deadlocks so far${first.functionCalls !== null ? `, ${first.functionCalls} calls of ${spec.function!.qualified}` : notMeasured ? `; function not measured: ${notMeasured}` : ''}`,
    };
  },
};
