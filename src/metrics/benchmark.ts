import { z } from 'zod';
import { round } from './latency.js';
import type { BaselineFigures } from './baselineFigures.js';
import type { FunctionSource } from './functionSource.js';
import type { RaceProbeResult } from './raceProbe.js';
import type { AppFigures } from './appFigures.js';
import type { WindowFigures } from './window.js';

export interface BenchmarkTarget {
  readonly op: '<' | '<=' | '=';
  readonly value: number;
}

/** One line of the seed's "Performance Benchmarking": baseline, after, target, met. */
export interface BenchmarkRow {
  readonly metric: string;
  readonly unit: string;
  readonly baseline: number | null;
  readonly after: number | null;
  /** after / baseline − 1 (−0.4 = 40 % lower); null unless both are measured and the baseline is not 0. */
  readonly change: number | null;
  readonly target: BenchmarkTarget | null;
  /** null: no target, or `after` not measured. */
  readonly met: boolean | null;
}

/** The table as data: it goes into the monitor's observed and every report format. */
export interface Benchmark {
  readonly baselineStep: string | null;
  readonly windowMs: number;
  /** Where the window's function figures came from; null when the step watches no function. */
  readonly functionSource: FunctionSource | null;
  readonly rows: readonly BenchmarkRow[];
}

/** A figure the table can show: its unit, its default title, and where its baseline and after values come from. */
interface BenchmarkFigure {
  readonly unit: string;
  readonly title: string;
  readonly baseline: (b: BaselineFigures) => number | null;
  readonly after: (a: AfterFigures) => number | null | undefined;
}

/**
 * Every figure a baseline and a monitor measure, by the name a checklist's `benchmark` rows use.
 * The app figures come from its /metrics (app_metrics), the others from the database and the race probe.
 */
export const benchmarkFigures = {
  app_latency_mean_ms: {
    unit: 'ms',
    title: 'Avg request latency',
    baseline: (b) => b.latencyMeanMs,
    after: (a) => a.app?.latencyMeanMs,
  },
  app_latency_p95_ms: {
    unit: 'ms',
    title: 'Request latency p95',
    baseline: (b) => b.latencyP95Ms,
    after: (a) => a.app?.latencyP95Ms,
  },
  db_calls_per_action: {
    unit: 'calls',
    title: 'Avg DB calls per request',
    baseline: (b) => b.dbCallsPerRequest,
    after: (a) => a.app?.dbCallsPerRequest,
  },
  race_events: {
    unit: 'lost updates',
    title: 'Race condition events',
    baseline: (b) => b.raceEvents,
    after: (a) => a.probe?.lost,
  },
  function_mean_exec_ms: {
    unit: 'ms',
    title: 'Function mean execution time',
    baseline: (b) => b.meanExecMs,
    after: (a) => a.db.meanExecMs,
  },
  function_error_rate: {
    unit: 'ratio',
    title: 'Function error rate',
    baseline: (b) => b.functionErrorRate,
    after: (a) => a.app?.functionErrorRate,
  },
  failure_rate: {
    unit: 'ratio',
    title: 'Request failure rate',
    baseline: (b) => b.failureRate,
    after: (a) => a.app?.failureRate,
  },
  deadlocks: { unit: 'count', title: 'Deadlocks', baseline: (b) => b.deadlocks, after: (a) => a.db.deadlocks },
} as const satisfies Record<string, BenchmarkFigure>;

export type BenchmarkFigureName = keyof typeof benchmarkFigures;

const targetPattern = /^(<=|<|=|≤)\s*(-?\d+(?:\.\d+)?)$/;

/** One row as a checklist declares it: its title, the figure it shows, the target (e.g. "< 15"). */
export const benchmarkRowSchema = z.strictObject({
  metric: z.string().min(1).max(200).describe('the row\'s title, e.g. "RPC function mean execution time"'),
  figure: z
    .enum(Object.keys(benchmarkFigures) as [BenchmarkFigureName, ...BenchmarkFigureName[]])
    .describe('the figure the row shows (baseline and after)'),
  target: z
    .string()
    .regex(targetPattern, 'target is an operator and a number: "< 15", "<= 2", "= 0" (ratios as 0..1: "< 0.005")')
    .optional()
    .describe(
      'what the after figure must meet: "< N", "<= N" or "= N", in the figure\'s unit (ms, calls, count; ratios 0..1)',
    ),
});

export const benchmarkSchema = z
  .array(benchmarkRowSchema)
  .min(1)
  .max(50)
  .describe("the Performance Benchmarking table's rows and targets; omitted: every figure, without targets");

export type BenchmarkRowSpec = z.infer<typeof benchmarkRowSchema>;

export interface AfterFigures {
  readonly db: WindowFigures;
  readonly app: AppFigures | null;
  readonly probe: RaceProbeResult | null;
  readonly functionSource: FunctionSource | null;
}

function parseTarget(text: string | undefined): BenchmarkTarget | null {
  const match = text === undefined ? null : targetPattern.exec(text.trim());
  if (!match) return null;
  return { op: match[1] === '≤' ? '<=' : (match[1] as BenchmarkTarget['op']), value: Number(match[2]) };
}

/**
 * Baseline vs after, each figure measured: the app's from its /metrics over the baseline's
 * and the monitor's windows, the database's from the statistics views, race events from a
 * concurrency probe. The rows and their targets are the checklist's (`benchmark`); without
 * them, every figure is shown and none is judged.
 */
export function buildBenchmark(
  baseline: BaselineFigures | null,
  after: AfterFigures,
  rows?: readonly BenchmarkRowSpec[],
): Benchmark {
  const declared =
    rows ??
    (Object.keys(benchmarkFigures) as BenchmarkFigureName[]).map((figure) => ({
      metric: benchmarkFigures[figure].title,
      figure,
    }));
  return {
    baselineStep: baseline?.stepId ?? null,
    windowMs: after.db.elapsedMs,
    functionSource: after.functionSource,
    rows: declared.map((spec) => {
      const figure: BenchmarkFigure = benchmarkFigures[spec.figure];
      return row(
        spec.metric,
        figure.unit,
        baseline && figure.baseline(baseline),
        figure.after(after),
        parseTarget('target' in spec ? spec.target : undefined),
      );
    }),
  };
}

function row(
  metric: string,
  unit: string,
  baseline: number | null | undefined,
  after: number | null | undefined,
  target: BenchmarkTarget | null,
): BenchmarkRow {
  const b = baseline ?? null;
  const a = after ?? null;
  return {
    metric,
    unit,
    baseline: b,
    after: a,
    change: a !== null && b !== null && b !== 0 ? round(a / b - 1, 4) : null,
    target,
    met: target === null || a === null ? null : meets(a, target),
  };
}

function meets(value: number, target: BenchmarkTarget): boolean {
  if (target.op === '<') return value < target.value;
  if (target.op === '<=') return value <= target.value;
  return value === target.value;
}

export function describeTarget(target: BenchmarkTarget | null, unit: string): string {
  if (target === null) return '';
  const shown = unit === 'ratio' ? `${round(target.value * 100, 3)} %` : `${target.value}${unit === 'ms' ? ' ms' : ''}`;
  return `${target.op === '=' ? '' : `${target.op} `}${shown}`.replace('<=', '≤');
}

/** "3 of 5 targets met" over the rows that have a target and a measurement. */
export function targetsSummary(benchmark: Benchmark): string {
  const judged = benchmark.rows.filter((r) => r.met !== null);
  return `${judged.filter((r) => r.met).length} of ${judged.length} targets met`;
}
