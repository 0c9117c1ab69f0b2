import type { ServerChange } from '../../metrics/continuity.js';
import { formatDuration } from '../shared/duration.js';
import type { BaselineFigures } from '../../metrics/baselineFigures.js';
import { appFigureMetrics, baselineMetric } from '../../metrics/baselineFigures.js';
import { type BenchmarkRowSpec, buildBenchmark, targetsSummary } from '../../metrics/benchmark.js';
import type { FunctionSource } from '../../metrics/functionSource.js';
import {
  type Breach,
  type CriterionName,
  describeBreach,
  describeCriteria,
  type Criteria,
  type Unmeasured,
} from './criteria.js';
import { type MonitorPoint, spreadOver } from '../../metrics/points.js';
import type { RaceProbeResult } from '../../metrics/raceProbe.js';
import type { Sample } from '../../metrics/sample.js';
import type { AppFigures, AppSnapshot } from '../../metrics/appFigures.js';
import { noDataCriteria } from './unmeasured.js';
import { type WindowFigures, windowFigures } from '../../metrics/window.js';
import type { StepContext, StepOutcome } from '../types.js';

/** What a monitor window gathered, filled in sample by sample. */
export interface MonitorRecord {
  readonly start: Sample;
  /** Where the function figures come from; null when the step watches no function. */
  readonly functionSource: FunctionSource | null;
  readonly appStart: AppSnapshot | null;
  readonly baseline: BaselineFigures | null;
  readonly unmeasured: readonly Unmeasured[];
  readonly points: MonitorPoint[];
  scrapeFailures: number;
  /** Samples the server could not be reached for (restarting, crashed). */
  unreachableSamples: number;
  /** Restarts and statistics resets the samples found, in order. */
  readonly serverChanges: ServerChange[];
  /** Spans without samples: shipcheck was not running (killed, then resumed). */
  readonly gaps: { readonly from: string; readonly to: string }[];
  /** Figures since the window's start at the latest sample. */
  last?: { db: WindowFigures; app: AppFigures | null };
  values?: Partial<Record<CriterionName, number | null>>;
}

/** Samples kept in `observed`, spread over the window (the evidence file keeps them all). */
const observedSamples = 240;

/**
 * The monitor's outcome: failed with every breach (criterion, threshold, value) or
 * passed; in both the samples, the criteria's last values, the benchmark table.
 */
export async function finishMonitor(
  spec: {
    readonly criteria: Criteria;
    readonly duration: number;
    readonly benchmark?: readonly BenchmarkRowSpec[] | undefined;
  },
  context: StepContext,
  record: MonitorRecord,
  found: readonly Breach[],
  probe: RaceProbeResult | null,
): Promise<StepOutcome> {
  const db = record.last?.db ?? windowFigures(record.start, record.start);
  const app = record.last?.app ?? null;
  const unmeasured = [
    ...record.unmeasured,
    ...(found.length === 0 ? noDataCriteria(record.values ?? {}, record.unmeasured) : []),
  ];
  const benchmark = buildBenchmark(
    record.baseline,
    { db, app, probe, functionSource: record.functionSource },
    spec.benchmark,
  );
  const evidence = await context.writeEvidence(
    'samples.json',
    JSON.stringify(
      {
        function_source: record.functionSource,
        start: record.start,
        app_start: record.appStart,
        server_changes: record.serverChanges,
        gaps: record.gaps,
        samples: record.points,
      },
      null,
      2,
    ),
    `${record.points.length} monitor samples`,
  );
  const observed = {
    window_ms: db.elapsedMs,
    sample_count: record.points.length,
    function_source: record.functionSource,
    figures: db,
    app,
    criteria: record.values ?? {},
    unmeasured,
    breaches: found,
    server_changes: record.serverChanges,
    gaps: record.gaps,
    ...(record.unreachableSamples > 0 && { unreachable_samples: record.unreachableSamples }),
    ...(record.scrapeFailures > 0 && { app_scrape_failures: record.scrapeFailures }),
    race_probe: probe ?? (found.length > 0 ? 'not run: a criterion was breached' : null),
    benchmark,
    samples: spreadOver(record.points, observedSamples),
  };
  const metrics = monitorMetrics(db, app, probe, record.points);
  const expected = describeCriteria(spec.criteria);
  const table = `benchmark: ${targetsSummary(benchmark)}`;
  const server = serverSummary(record);
  if (found.length > 0) {
    return {
      status: 'failed',
      expected,
      observed,
      metrics,
      evidence: [evidence],
      message: `${found.map(describeBreach).join('; ')} after ${formatDuration(Math.round(db.elapsedMs / 100) * 100)}${server}`,
    };
  }
  const notMeasured = unmeasured.length ? ` (not measured: ${unmeasured.map((u) => u.criterion).join(', ')})` : '';
  return {
    status: 'passed',
    expected,
    observed,
    metrics,
    evidence: [evidence],
    message: `no criterion breached in ${formatDuration(spec.duration)} (${record.points.length} samples)${notMeasured}${server}; ${table}`,
  };
}

/** What the report must not hide: restarts and resets the window went through, and spans it did not watch. */
function serverSummary(record: MonitorRecord): string {
  const parts = record.serverChanges.map(
    (c) => `${c.restart ? 'server restart' : 'statistics reset'} found at ${c.at}`,
  );
  for (const gap of record.gaps) parts.push(`no samples from ${gap.from} to ${gap.to} (shipcheck was not running)`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function monitorMetrics(
  db: WindowFigures,
  app: AppFigures | null,
  probe: RaceProbeResult | null,
  points: readonly MonitorPoint[],
) {
  const metrics: Record<string, number> = {
    deadlocks: db.deadlocks,
    server_restarts: db.serverRestarts,
    lock_waits_max: Math.max(0, ...points.map((p) => p.lock_waits)),
  };
  const tableWaits = points.map((p) => p.table_lock_waits).filter((n): n is number => n !== null);
  if (tableWaits.length > 0) metrics.table_lock_waits_max = Math.max(...tableWaits);
  if (db.functionCalls !== null) metrics.function_calls = db.functionCalls;
  if (db.meanExecMs !== null) metrics.mean_exec_ms = db.meanExecMs;
  if (db.rollbackRate !== null) metrics.rollback_rate = db.rollbackRate;
  Object.assign(metrics, appFigureMetrics(app));
  if (probe) metrics[baselineMetric.raceEvents] = probe.lost;
  return metrics;
}
