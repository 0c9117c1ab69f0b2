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

/** The seed's targets ("Performance Benchmarking" and "Success Criteria"). */
export const benchmarkTargets = {
  latencyMeanMs: { op: '<', value: 50 },
  dbCallsPerAction: { op: '<=', value: 2 },
  raceEvents: { op: '=', value: 0 },
  meanExecMs: { op: '<', value: 15 },
  functionErrorRate: { op: '<', value: 0.005 },
  deadlocks: { op: '=', value: 0 },
} as const satisfies Record<string, BenchmarkTarget>;

export interface AfterFigures {
  readonly db: WindowFigures;
  readonly shield: AppFigures | null;
  readonly probe: RaceProbeResult | null;
  readonly functionSource: FunctionSource | null;
}

/**
 * Baseline vs after, each figure measured: Shield's from its /metrics over the baseline's
 * and the monitor's windows, the database's from the statistics views, race events from a
 * concurrency probe with the writer in use (legacy before 024, rpc after).
 */
export function buildBenchmark(baseline: BaselineFigures | null, after: AfterFigures): Benchmark {
  const { db, shield, probe } = after;
  const t = benchmarkTargets;
  return {
    baselineStep: baseline?.stepId ?? null,
    windowMs: db.elapsedMs,
    functionSource: after.functionSource,
    rows: [
      row('Avg Shield action latency', 'ms', baseline?.latencyMeanMs, shield?.latencyMeanMs, t.latencyMeanMs),
      row('Shield action latency p95', 'ms', baseline?.latencyP95Ms, shield?.latencyP95Ms, null),
      row('Avg DB calls per action', 'calls', baseline?.dbCallsPerAction, shield?.dbCallsPerAction, t.dbCallsPerAction),
      row('Race condition events', 'lost updates', baseline?.raceEvents, probe?.lost, t.raceEvents),
      row('RPC function mean execution time', 'ms', baseline?.meanExecMs, db.meanExecMs, t.meanExecMs),
      row('RPC function error rate', 'ratio', baseline?.functionErrorRate, shield?.functionErrorRate, t.functionErrorRate),
      row('Shield action failure rate', 'ratio', baseline?.failureRate, shield?.failureRate, null),
      row('Deadlocks', 'count', baseline?.deadlocks, db.deadlocks, t.deadlocks),
    ],
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
