import { describeFunctionSource, recordedFunctionSource } from '../metrics/functionSource.js';
import { type MonitorPoint, pointSeries } from '../metrics/points.js';
import { currentNames } from '../metrics/recordedNames.js';
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
  /** Where the function series were read (or why there are none), when the step watched a function. */
  readonly functionSource?: string;
  /** When a criterion was breached: the time of the last sample (the chart marks it). */
  readonly breachedAt?: number;
  /** Spans without samples (shipcheck was not running): the series break there. */
  readonly gaps?: readonly { readonly from: string; readonly to: string }[];
  /** Server restarts and statistics resets the window went through, in words. */
  readonly serverChanges?: readonly string[];
}

/**
 * The monitor steps' samples (observed.samples) as chart data: one series per figure
 * that was measured at least once; not-measured samples stay gaps (null).
 */
export function chartsOf(steps: readonly ReportStep[]): StepCharts[] {
  return steps.flatMap((step) => {
    if (step.kind !== 'monitor') return [];
    const observed = step.observed as
      | { samples?: unknown; breaches?: unknown[]; gaps?: unknown; server_changes?: unknown }
      | undefined;
    const sampled = Array.isArray(observed?.samples)
      ? (observed.samples as unknown[]).flatMap((p) =>
          // A run logged before the app's series had generic names charts them under today's.
          typeof p === 'object' && p !== null && typeof (p as { at?: unknown }).at === 'string'
            ? [currentNames(p) as unknown as MonitorPoint]
            : [],
        )
      : [];
    if (sampled.length === 0) return [];
    const gaps = Array.isArray(observed?.gaps)
      ? (observed.gaps as { from: string; to: string }[]).filter(
          (g) => typeof g?.from === 'string' && typeof g?.to === 'string',
        )
      : [];
    const changes = Array.isArray(observed?.server_changes)
      ? (observed.server_changes as { description?: unknown }[]).flatMap((c) =>
          typeof c?.description === 'string' ? [c.description] : [],
        )
      : [];
    // A point with no value inside each gap: uPlot breaks the line there instead of joining across it.
    const points: (MonitorPoint | { at: string })[] = [
      ...sampled,
      ...gaps.map((g) => ({ at: new Date((Date.parse(g.from) + Date.parse(g.to)) / 2).toISOString() })),
    ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const xs = points.map((p) => Date.parse(p.at) / 1000);
    // The function series say where they were read: pg_stat_statements times whole statements.
    const source = recordedFunctionSource(observed);
    const series = pointSeries.flatMap((s) => {
      const ys = points.map((p) =>
        s.key in p && typeof (p as MonitorPoint)[s.key] === 'number' ? ((p as MonitorPoint)[s.key] as number) : null,
      );
      const title = 'functionFigure' in s && source ? `${s.title} from ${source.source}` : s.title;
      return ys.some((y) => y !== null) ? [{ key: s.key, title, unit: s.unit, xs, ys }] : [];
    });
    const breached = Array.isArray(observed?.breaches) && observed.breaches.length > 0;
    return [
      {
        stepId: step.id,
        title: step.title,
        series,
        ...(source && { functionSource: describeFunctionSource(source) }),
        ...(breached && { breachedAt: xs.at(-1)! }),
        ...(gaps.length > 0 && { gaps }),
        ...(changes.length > 0 && { serverChanges: changes }),
      },
    ];
  });
}
