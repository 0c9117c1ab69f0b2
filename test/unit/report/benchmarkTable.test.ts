import { describe, expect, it } from 'vitest';
import { benchmarksHtml } from '../../../src/report/htmlSteps.js';
import { benchmarksOf, renderBenchmarkMarkdown } from '../../../src/report/benchmarkTable.js';
import type { ReportStep } from '../../../src/report/runReport.js';
import type { Benchmark } from '../../../src/metrics/benchmark.js';

/** A monitor step as the report reads it: its benchmark, and what its race probe did. */
function monitorStep(raceProbe: unknown, lost: number | null): ReportStep {
  const benchmark: Benchmark = {
    baselineStep: 'baseline',
    windowMs: 5040,
    functionSource: null,
    rows: [
      {
        metric: 'Race condition events',
        unit: 'lost updates',
        baseline: 4,
        after: lost,
        change: null,
        target: { op: '=', value: 0 },
        met: lost === null ? null : lost === 0,
      },
    ],
  };
  return {
    id: 'watch',
    phaseId: 'deploy',
    kind: 'monitor',
    title: 'Watch',
    status: 'Success',
    observed: { benchmark, race_probe: raceProbe },
    attempts: 1,
    progress: [],
    evidence: [],
  };
}

const afterLine = (step: ReportStep) =>
  renderBenchmarkMarkdown(benchmarksOf([step])).find((l) => l.startsWith('Baseline:'));

describe('Performance Benchmarking: where the after figures came from', () => {
  it('names the race probe, its actions and writer, when the monitor ran one', () => {
    const step = monitorStep(
      {
        writer: 'rpc',
        writerFrom: 'Shield API',
        actions: 10,
        succeeded: 10,
        failed: 0,
        lost: 0,
        latencyMsP95: 3,
        dbCallsPerAction: 2,
      },
      0,
    );
    expect(afterLine(step)).toBe(
      'Baseline: `baseline`; after: the 5 s monitor window and its race probe (10 simultaneous actions, rpc writer).',
    );
    expect(benchmarksHtml(benchmarksOf([step]))).toContain(
      'after: the 5 s monitor window and its race probe (10 simultaneous actions, rpc writer).</p>',
    );
  });

  it('says there was no race probe when the monitor had none (its race row is "not measured")', () => {
    const step = monitorStep(null, null);
    const markdown = renderBenchmarkMarkdown(benchmarksOf([step])).join('\n');
    expect(afterLine(step)).toBe(
      'Baseline: `baseline`; after: the 5 s monitor window (no race probe: race condition events not measured).',
    );
    expect(markdown).toContain('| Race condition events | 4 | — |  | 0 | not measured |');
    expect(markdown).not.toContain('and its race probe');
    expect(benchmarksHtml(benchmarksOf([step]))).not.toContain('and its race probe');
  });

  it("says a baseline step's table compares with its own window", () => {
    const step = { ...monitorStep(null, null), kind: 'baseline' };
    expect(afterLine(step)).toBe(
      'Baseline: `baseline`; after: the 5 s baseline window (no race probe: race condition events not measured).',
    );
  });

  it('says why a configured race probe did not run', () => {
    const step = monitorStep('not run: a criterion was breached', null);
    expect(afterLine(step)).toBe(
      'Baseline: `baseline`; after: the 5 s monitor window; its race probe did not run (a criterion was breached).',
    );
  });
});
