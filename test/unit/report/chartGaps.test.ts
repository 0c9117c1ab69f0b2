import { describe, expect, it } from 'vitest';
import { chartsOf } from '../../../src/report/charts.js';
import type { ReportStep } from '../../../src/report/runReport.js';

const point = (at: string, deadlocks: number) => ({
  at,
  elapsed_s: 0,
  deadlocks,
  rollback_rate: null,
  lock_waits: 0,
  table_lock_waits: null,
});

describe('monitor charts of a resumed window', () => {
  it('break each series over the gap shipcheck was not running, and say so', () => {
    const step: ReportStep = {
      id: 'watch',
      phaseId: 'p',
      kind: 'monitor',
      title: 'Watch',
      status: 'Success',
      attempts: 2,
      progress: [],
      evidence: [],
      observed: {
        samples: [point('2026-01-01T00:00:00Z', 0), point('2026-01-01T00:00:10Z', 0), point('2026-01-01T01:00:00Z', 1)],
        gaps: [{ from: '2026-01-01T00:00:10Z', to: '2026-01-01T00:59:59Z' }],
        server_changes: [{ description: 'the server restarted at …' }],
      },
    };
    const [chart] = chartsOf([step]);
    const deadlocks = chart!.series.find((s) => s.key === 'deadlocks')!;
    expect(deadlocks.ys).toEqual([0, 0, null, 1]);
    expect(deadlocks.xs).toEqual([...deadlocks.xs].sort((a, b) => a - b));
    expect(chart!.gaps).toHaveLength(1);
    expect(chart!.serverChanges).toEqual(['the server restarted at …']);
  });
});
