import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { stepCheckpoints } from '../../../src/engine/checkpoints.js';
import { writeEvidenceFile } from '../../../src/engine/evidence.js';
import type { RunEvent } from '../../../src/engine/events.js';
import { runDir as runDirOf, loadRun, type StoredRun } from '../../../src/engine/runs.js';
import { appendEvents, ensurePrivateDir } from '../../../src/engine/runLog.js';
import type { Benchmark } from '../../../src/metrics/benchmark.js';
import { chartsOf } from '../../../src/report/charts.js';
import { renderHtmlReport } from '../../../src/report/html.js';
import { buildRunReport } from '../../../src/report/runReport.js';
import { monitorStep } from '../../../src/steps/monitor.js';
import { savedWindow } from '../../../src/steps/monitor/windowLog.js';
import type { StepContext, StepOutcome } from '../../../src/steps/types.js';
import { at, runStarted } from '../engine/runEvents.js';

/**
 * A run logged before the app's figures had generic names: its baseline's metrics, a finished
 * monitor's samples and an interrupted monitor's checkpoints hold Shield's names, as shipcheck
 * wrote them then (shield_actions, shield_action_latency_mean_ms, shield_start, last.shield, …).
 */
const runId = '20251024-100000-staging-abcd';

const started = (stepId: string, kind: string): RunEvent => ({
  type: 'step_started',
  at,
  stepId,
  phaseId: 'deploy',
  kind,
  title: stepId,
  hash: `h-${stepId}`,
  attempt: 1,
});

const oldBaselineMetrics = {
  deadlocks: 0,
  xact_commit: 900,
  xact_rollback: 0,
  shield_actions: 40,
  shield_failure_rate: 0,
  shield_function_error_rate: 0,
  shield_action_latency_mean_ms: 10,
  shield_action_latency_p50_ms: 8,
  shield_action_latency_p95_ms: 20,
  shield_action_latency_p99_ms: 25,
  shield_db_calls_per_action: 5,
  race_events: 93,
};

const oldPoint = (second: number, latencyMs: number) => ({
  at: `2025-10-24T10:01:${String(second).padStart(2, '0')}.000Z`,
  elapsed_s: second,
  deadlocks: 0,
  rollback_rate: 0,
  lock_waits: 0,
  table_lock_waits: null,
  function_calls_per_s: null,
  mean_exec_ms: null,
  shield_actions_per_s: 10,
  shield_failure_rate: 0,
  shield_latency_mean_ms: latencyMs,
  shield_latency_p95_ms: latencyMs * 2,
  shield_db_calls_per_action: 2,
});

const histogram = {
  buckets: [
    { le: 0.05, count: 40 },
    { le: null, count: 40 },
  ],
  count: 40,
  sum: 1.2,
};
const dbSample = {
  at: '2025-10-24T10:01:00.000Z',
  deadlocks: 0,
  xactCommit: 1000,
  xactRollback: 0,
  trackFunctions: 'pl',
  functionExists: false,
  functionCalls: null,
  functionTotalMs: null,
  lockWaits: 0,
  tableLockWaits: null,
  statsReset: null,
  serverStartedAt: '2025-10-24T09:00:00.000Z',
  sharedStatsReset: null,
};
const windowSoFar = {
  elapsedMs: 2000,
  deadlocks: 0,
  commits: 100,
  rollbacks: 0,
  rollbackRate: 0,
  functionCalls: null,
  meanExecMs: null,
  lockWaits: 0,
  tableLockWaits: null,
  serverRestarts: 0,
};
/** The app's figures since the window's start at the last sample: three times the baseline's latency. */
const appSoFar = {
  actions: 40,
  failed: 0,
  failureRate: 0,
  functionActions: 0,
  functionFailed: 0,
  functionErrorRate: null,
  latencyMeanMs: 30,
  latencyP50Ms: 25,
  latencyP95Ms: 60,
  latencyP99Ms: 70,
  dbCallsPerAction: 2,
  writer: 'rpc',
};

const oldLog: RunEvent[] = [
  runStarted(['deploy']),
  started('before', 'baseline'),
  {
    type: 'step_finished',
    at,
    stepId: 'before',
    status: 'passed',
    durationMs: 10_000,
    outcome: {
      status: 'passed',
      expected: 'the figures recorded',
      observed: { shield: { url: 'http://127.0.0.1:8080/metrics', over: 'the 10s window', figures: appSoFar } },
      metrics: oldBaselineMetrics,
      message: 'baseline recorded',
    },
  },
  started('hour-one', 'monitor'),
  {
    type: 'step_finished',
    at,
    stepId: 'hour-one',
    status: 'passed',
    durationMs: 3000,
    outcome: {
      status: 'passed',
      expected: 'max_deadlocks ≤ 0',
      observed: { samples: [oldPoint(1, 11), oldPoint(2, 12), { ...oldPoint(3, 0), shield_error: 'refused' }] },
      metrics: { deadlocks: 0, shield_actions: 30, shield_action_latency_mean_ms: 11.5 },
      message: 'no criterion breached',
    },
  },
  started('watch', 'monitor'),
  {
    type: 'step_checkpoint',
    at,
    stepId: 'watch',
    data: {
      kind: 'window_started',
      start: dbSample,
      ends_at: '2025-10-24T11:01:00.000Z',
      shield_start: {
        at: dbSample.at,
        succeeded: 100,
        failed: 0,
        functionSucceeded: 0,
        functionFailed: 0,
        duration: histogram,
        roundTrips: histogram,
        writer: 'rpc',
      },
      function_source: null,
    },
  },
  {
    type: 'step_checkpoint',
    at,
    stepId: 'watch',
    data: {
      kind: 'sample',
      raw: { ...dbSample, at: '2025-10-24T10:01:02.000Z', xactCommit: 1100 },
      offsets: { deadlocks: 0, xactCommit: 0, xactRollback: 0, functionCalls: 0, functionTotalMs: 0 },
      restarts: 0,
      point: oldPoint(2, 30),
      last: { db: windowSoFar, shield: appSoFar },
    },
  },
];

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'shipcheck-oldlog-'));
  await ensurePrivateDir(runDirOf(stateDir, runId));
  await appendEvents(runDirOf(stateDir, runId), oldLog);
  return () => rm(stateDir, { recursive: true, force: true });
});

/** The resumed window is judged on the last sample its checkpoints hold, before anything is read anew. */
const unread = {
  query: () => {
    throw new Error('the resumed monitor read the database before judging the sample the log holds');
  },
} as unknown as Database;

/** The interrupted monitor resumed on this run, as the engine would: this run's outcomes, the step's checkpoints. */
async function resumeWatch(run: StoredRun): Promise<StepOutcome> {
  const dir = runDirOf(stateDir, runId);
  const context: StepContext = {
    runId,
    runDir: dir,
    checklistDir: stateDir,
    environment: { name: 'staging', connectionEnv: 'X', connectionString: '', label: 'x', db: unread },
    step: { id: 'watch', kind: 'monitor', title: 'watch', onFail: 'stop' },
    writeEvidence: (name, content, description) =>
      writeEvidenceFile(dir, 'watch.attempt-2', name, content, description, []),
    progress: () => {},
    checkpoint: async (data) =>
      void (await appendEvents(dir, [{ type: 'step_checkpoint', at, stepId: 'watch', data }])),
    checkpoints: stepCheckpoints(run.events, 'watch'),
    history: {
      outcomeOf: (stepId) => run.state.steps.find((s) => s.id === stepId)?.outcome,
      phaseStatus: () => 'not_started',
      approvalOf: () => undefined,
      gateApproval: () => ({}),
      earlierApproval: () => undefined,
    },
    signal: new AbortController().signal,
    env: { SHIELD_METRICS_URL: 'http://127.0.0.1:1', SHIELD_API_TOKEN: 'not-read-before-the-judgement' },
  };
  const spec = monitorStep.schema.parse({
    duration: '1h',
    interval: '10s',
    shield_metrics: { url_env: 'SHIELD_METRICS_URL', token_env: 'SHIELD_API_TOKEN' },
    baseline: 'before',
    criteria: { max_degradation: 1 },
  });
  return monitorStep.run(spec, context);
}

describe('a run logged before the app figures had generic names', () => {
  it("resumes its monitor: the old checkpoints continue the window, judged against the old baseline's figures", async () => {
    const outcome = await resumeWatch(await loadRun(stateDir, runId));
    // 30 ms against the baseline's shield_action_latency_mean_ms 10: read, so compared.
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/^max_degradation breached: .*mean app request latency 30 ms vs baseline 10 ms/);
    const observed = outcome.observed as { unmeasured: unknown[]; benchmark: Benchmark; samples: object[] };
    expect(observed.unmeasured).toEqual([]);
    const rows = Object.fromEntries(observed.benchmark.rows.map((r) => [r.metric, r]));
    expect(rows['Avg request latency']).toMatchObject({ baseline: 10, after: 30 });
    expect(rows['Avg DB calls per request']).toMatchObject({ baseline: 5, after: 2 });
    expect(rows['Race condition events']).toMatchObject({ baseline: 93 });
    // What it records now is under today's names, the old sample included.
    expect(outcome.metrics).toMatchObject({ app_requests: 40, app_latency_mean_ms: 30, app_db_calls_per_request: 2 });
    expect(observed).toMatchObject({
      app: { requests: 40, functionRequests: 0, latencyMeanMs: 30, dbCallsPerRequest: 2 },
    });
    expect(observed.samples).toEqual([expect.objectContaining({ app_latency_mean_ms: 30, app_requests_per_s: 10 })]);
    expect(JSON.stringify({ metrics: outcome.metrics, observed })).not.toMatch(/shield/);
  });

  it("reads the interrupted window's checkpoints as today's: the app's first scrape, its figures, the samples", async () => {
    const saved = savedWindow(stepCheckpoints((await loadRun(stateDir, runId)).events, 'watch'));
    // The next sample's app figures are taken against this first scrape.
    expect(saved?.appStart).toMatchObject({ succeeded: 100, writer: 'rpc' });
    expect(saved?.appStart?.duration.buckets.at(-1)).toEqual({ le: Infinity, count: 40 });
    expect(saved?.last?.app).toMatchObject({ requests: 40, functionRequests: 0, dbCallsPerRequest: 2 });
    expect(saved?.points).toEqual([
      expect.objectContaining({ app_requests_per_s: 10, app_latency_mean_ms: 30, app_db_calls_per_request: 2 }),
    ]);
  });

  it("renders its report: the old monitor's samples and the resumed one's are charted under today's series", async () => {
    const before = await loadRun(stateDir, runId);
    const outcome = await resumeWatch(before);
    await appendEvents(runDirOf(stateDir, runId), [
      { type: 'step_finished', at, stepId: 'watch', status: 'failed', durationMs: 5, outcome },
    ]);
    const run = await loadRun(stateDir, runId);
    const report = await buildRunReport(run, [run]);
    const charts = Object.fromEntries(chartsOf(report.steps).map((c) => [c.stepId, c]));
    const series = (stepId: string, key: string) => charts[stepId]?.series.find((s) => s.key === key)?.ys;
    expect(series('hour-one', 'app_latency_mean_ms')).toEqual([11, 12, 0]);
    expect(series('hour-one', 'app_requests_per_s')).toEqual([10, 10, 10]);
    expect(series('hour-one', 'app_db_calls_per_request')).toEqual([2, 2, 2]);
    // The resumed window's old sample, then the break over the time shipcheck was not running.
    expect(series('watch', 'app_latency_p95_ms')).toEqual([60, null]);
    expect(charts['hour-one']!.series.map((s) => s.key)).not.toContainEqual(expect.stringMatching(/^shield/));
    const html = renderHtmlReport(report, { script: '', stylesheet: '' });
    expect(html).toContain('"key":"app_latency_mean_ms"');
    expect(report.steps.find((s) => s.id === 'watch')!.evidence.every((e) => e.intact)).toBe(true);
  });
});
