import { type Benchmark, type BenchmarkRow, describeTarget } from '../metrics/benchmark.js';
import { describeFunctionSource } from '../metrics/functionSource.js';
import type { ReportStep } from './runReport.js';

/** One monitor step's "Performance Benchmarking" table, for every report format. */
export interface ReportBenchmark {
  readonly stepId: string;
  /** monitor (a watched window) or baseline (post-migration figures compared with an earlier baseline). */
  readonly kind: string;
  readonly title: string;
  readonly status: string;
  readonly benchmark: Benchmark;
  /** The monitor's race probe: what it did, why it did not run, or null when the step had none. */
  readonly raceProbe: RaceProbeFact;
}

/** A probe that ran (its actions and writer), one that was configured but not run (the reason), or none. */
export type RaceProbeFact = { readonly actions: number; readonly writer: string } | { readonly notRun: string } | null;

/** The tables the run's monitor steps recorded (observed.benchmark), in step order. */
export function benchmarksOf(steps: readonly ReportStep[]): ReportBenchmark[] {
  return steps.flatMap((step) => {
    const observed = step.observed as { benchmark?: unknown; race_probe?: unknown } | undefined;
    const benchmark = observed?.benchmark;
    if (!isBenchmark(benchmark)) return [];
    return [
      {
        stepId: step.id,
        kind: step.kind,
        title: step.title,
        status: step.status,
        benchmark,
        raceProbe: raceProbeFact(observed?.race_probe),
      },
    ];
  });
}

/** The monitor records its probe's result, the reason it did not run (a string), or null when it had none. */
function raceProbeFact(recorded: unknown): RaceProbeFact {
  if (typeof recorded === 'string') return { notRun: recorded.replace(/^not run: /, '') };
  if (typeof recorded !== 'object' || recorded === null) return null;
  const { actions, writer } = recorded as { actions?: unknown; writer?: unknown };
  return {
    actions: typeof actions === 'number' ? actions : 0,
    writer: typeof writer === 'string' ? writer : 'unknown',
  };
}

/**
 * Where the table's figures came from, worded from what the monitor did: its window,
 * and its race probe only when it had one.
 *
 * @example
 * measuredFrom(table) // 'the 5 s monitor window and its race probe (10 simultaneous actions, rpc writer)'
 */
export function measuredFrom(table: ReportBenchmark): string {
  const window = `the ${Math.round(table.benchmark.windowMs / 100) / 10} s ${table.kind === 'baseline' ? 'baseline' : 'monitor'} window`;
  const probe = table.raceProbe;
  if (probe === null) return `${window} (no race probe: race condition events not measured)`;
  if ('notRun' in probe) return `${window}; its race probe did not run (${probe.notRun})`;
  return `${window} and its race probe (${probe.actions} simultaneous actions, ${probe.writer} writer)`;
}

function isBenchmark(value: unknown): value is Benchmark {
  return typeof value === 'object' && value !== null && Array.isArray((value as Benchmark).rows);
}

/** A figure as the table shows it: ratios in %, "—" when not measured. */
export function formatFigure(value: number | null, unit: string): string {
  if (value === null) return '—';
  if (unit === 'ratio') return `${Math.round(value * 100_000) / 1000} %`;
  return `${value}${unit === 'ms' ? ' ms' : ''}`;
}

export function formatChange(row: BenchmarkRow): string {
  if (row.change === null) return '';
  const percent = Math.round(row.change * 1000) / 10;
  return `${percent > 0 ? '+' : ''}${percent} %`;
}

/** The seed's ✅/❌ in Markdown; plain words in HTML, coloured by its stylesheet (no emoji font needed). */
export function formatMet(row: BenchmarkRow, symbols = true): string {
  if (row.met === null) return row.target === null ? '' : 'not measured';
  if (!symbols) return row.met ? 'met' : 'not met';
  return row.met ? '✅ met' : '❌ not met';
}

/** Column cells of one row, shared by the Markdown and HTML tables. */
export function benchmarkCells(row: BenchmarkRow, symbols = true): [string, string, string, string, string, string] {
  return [
    row.metric,
    formatFigure(row.baseline, row.unit),
    formatFigure(row.after, row.unit),
    formatChange(row),
    describeTarget(row.target, row.unit),
    formatMet(row, symbols),
  ];
}

export const benchmarkHeader = ['Metric', 'Baseline', 'After', 'Change', 'Target', 'Met'] as const;

/** Where the function rows' after figures came from; '' for a step watching no function (or an older run). */
export function functionSourceLine(benchmark: Benchmark): string {
  return benchmark.functionSource ? `Function figures: ${describeFunctionSource(benchmark.functionSource)}.` : '';
}

export function renderBenchmarkMarkdown(tables: readonly ReportBenchmark[]): string[] {
  if (tables.length === 0) return [];
  const out = ['## Performance Benchmarking', ''];
  for (const t of tables) {
    out.push(
      `### ${t.title} (\`${t.stepId}\`, ${t.status})`,
      '',
      `Baseline: ${t.benchmark.baselineStep ? `\`${t.benchmark.baselineStep}\`` : 'none named'}; after: ${measuredFrom(t)}.`,
      '',
      ...(functionSourceLine(t.benchmark) ? [functionSourceLine(t.benchmark), ''] : []),
      `| ${benchmarkHeader.join(' | ')} |`,
      `|${benchmarkHeader.map(() => '---').join('|')}|`,
      ...t.benchmark.rows.map(
        (row) =>
          `| ${benchmarkCells(row)
            .map((c) => c.replace(/\|/g, '\\|'))
            .join(' | ')} |`,
      ),
      '',
    );
  }
  return out;
}
