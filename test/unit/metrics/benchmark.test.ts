import { describe, expect, it } from 'vitest';
import { benchmarkSchema, buildBenchmark } from '../../../src/metrics/benchmark.js';
import type { BaselineFigures } from '../../../src/metrics/baselineFigures.js';
import type { WindowFigures } from '../../../src/metrics/window.js';
import { monitorStep } from '../../../src/steps/monitor.js';
import { baselineStep } from '../../../src/steps/baseline.js';

const db = { elapsedMs: 5000, deadlocks: 0, meanExecMs: 12, functionCalls: 40 } as unknown as WindowFigures;
const baseline: BaselineFigures = {
  stepId: 'before',
  failureRate: 0,
  latencyMeanMs: 40,
  latencyP95Ms: 80,
  dbCallsPerRequest: 3,
  meanExecMs: 20,
  functionErrorRate: 0,
  functionSource: 'pg_stat_user_functions',
  raceEvents: 90,
  deadlocks: 0,
};

describe('the Performance Benchmarking table', () => {
  it('has the rows and targets the checklist declares, in its order and words', () => {
    const rows = benchmarkSchema.parse([
      { metric: 'Charge mean time', figure: 'function_mean_exec_ms', target: '< 15' },
      { metric: 'Lost updates', figure: 'race_events', target: '= 0' },
      { metric: 'Deadlocks', figure: 'deadlocks', target: '<= 0' },
    ]);
    const table = buildBenchmark(baseline, { db, app: null, probe: null, functionSource: null }, rows);
    expect(table.rows).toEqual([
      {
        metric: 'Charge mean time',
        unit: 'ms',
        baseline: 20,
        after: 12,
        change: -0.4,
        target: { op: '<', value: 15 },
        met: true,
      },
      {
        metric: 'Lost updates',
        unit: 'lost updates',
        baseline: 90,
        after: null,
        change: null,
        target: { op: '=', value: 0 },
        met: null,
      },
      {
        metric: 'Deadlocks',
        unit: 'count',
        baseline: 0,
        after: 0,
        change: null,
        target: { op: '<=', value: 0 },
        met: true,
      },
    ]);
  });

  it('without a declaration: every figure under a generic title, none judged (no target is built in)', () => {
    const table = buildBenchmark(baseline, { db, app: null, probe: null, functionSource: null });
    expect(table.rows.map((r) => r.metric)).toContain('Function mean execution time');
    expect(table.rows.every((r) => r.target === null && r.met === null)).toBe(true);
    expect(table.rows.some((r) => /Shield|RPC/.test(r.metric))).toBe(false);
  });

  it('refuses an unknown figure, a target it cannot read, and rows on a baseline without compare_with', () => {
    const problems = (spec: unknown) =>
      JSON.stringify(
        monitorStep.schema.safeParse({ duration: '10s', criteria: { max_deadlocks: 0 }, benchmark: spec }).error
          ?.issues,
      );
    expect(problems([{ metric: 'x', figure: 'p99' }])).toContain('function_mean_exec_ms');
    expect(problems([{ metric: 'x', figure: 'deadlocks', target: 'under 15' }])).toContain(
      'target is an operator and a number',
    );
    expect(
      JSON.stringify(
        baselineStep.schema.safeParse({ window: '1s', benchmark: [{ metric: 'x', figure: 'deadlocks' }] }).error
          ?.issues,
      ),
    ).toContain('name the earlier baseline in compare_with');
  });
});
