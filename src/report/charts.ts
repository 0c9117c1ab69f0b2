import { type MonitorPoint, pointSeries } from '../steps/monitor/points.js';
import type { ReportStep } from './runReport.js';

export interface ChartSeries {
  readonly key: string;
  readonly title: string;
  readonly unit: string;
  /** Unix seconds. */
  readonly xs: readonly number[];
  readonly ys: readonly (number | null)[];
}

/** Every series a monitor step sampled, for one chart each. */
export interface StepCharts {
  readonly stepId: string;
  readonly title: string;
  readonly series: readonly ChartSeries[];
  /** When a criterion was breached: the time of the last sample (the chart marks it). */
  readonly breachedAt?: number;
}

/**
 * The monitor steps' samples (observed.samples) as chart data: one series per figure
 * that was measured at least once; not-measured samples stay gaps (null).
 */
export function chartsOf(steps: readonly ReportStep[]): StepCharts[] {
  return steps.flatMap((step) => {
    if (step.kind !== 'monitor') return [];
    const observed = step.observed as { samples?: unknown; breaches?: unknown[] } | undefined;
    const points = Array.isArray(observed?.samples) ? (observed.samples as MonitorPoint[]).filter((p) => typeof p?.at === 'string') : [];
    if (points.length === 0) return [];
    const xs = points.map((p) => Date.parse(p.at) / 1000);
    const series = pointSeries.flatMap(({ key, title, unit }) => {
      const ys = points.map((p) => (typeof p[key] === 'number' ? (p[key] as number) : null));
      return ys.some((y) => y !== null) ? [{ key, title, unit, xs, ys }] : [];
    });
    const breached = Array.isArray(observed?.breaches) && observed.breaches.length > 0;
    return [{ stepId: step.id, title: step.title, series, ...(breached && { breachedAt: xs.at(-1)! }) }];
  });
}
