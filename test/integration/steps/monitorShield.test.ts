import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../src/db/database.js';
import { migrate } from '../../../src/db/migrations/runner.js';
import { ShipcheckError, UsageError } from '../../../src/errors.js';
import { type ShieldServer, startShieldServer } from '../../../src/shield/http/server.js';
import { resolveOrganization } from '../../../src/shield/operator/testOrganization.js';
import { baselineStep } from '../../../src/steps/baseline.js';
import type { Benchmark } from '../../../src/metrics/benchmark.js';
import { monitorStep } from '../../../src/steps/monitor.js';
import type { StepKind, StepOutcome } from '../../../src/steps/types.js';
import { type ContextOverrides, type StepHarness, stepHarness } from '../../support/stepContext.js';
import { actionBody, apiToken, auth } from '../httpFixtures.js';
import { seedBenchmark } from '../../support/seedBenchmark.js';

const missingOrganization = '00000000-0000-0000-0000-0000000000ff';
const shieldMetrics = { url_env: 'SHIELD_METRICS_URL', token_env: 'SHIELD_API_TOKEN' };

/**
 * The seed's flow on one database: Shield serving with the legacy writer before migration 024
 * (baseline), then 024 applied and the writer switched to rpc (monitor), all through the
 * Shield API's real /metrics.
 */
describe('baseline and monitor against a real Shield API', () => {
  let harness: StepHarness;
  let server: ShieldServer;
  let organizationId: string;
  let baseline: StepOutcome;
  let comments = 0;

  const env = () => ({ SHIELD_METRICS_URL: server.url, SHIELD_API_TOKEN: apiToken });
  const run = <Spec>(
    kind: StepKind<Spec>,
    raw: unknown,
    overrides: ContextOverrides = {},
    runEnv: NodeJS.ProcessEnv = env(),
  ) => kind.run(kind.schema.parse(raw), { ...harness.context(overrides), env: runEnv });

  /** `count` actions, a few at a time; `organization` missing makes every one fail (422). */
  const sendActions = async (count: number, organization = organizationId) => {
    for (let i = 0; i < count; i += 4) {
      await Promise.all(
        Array.from({ length: Math.min(4, count - i) }, () =>
          fetch(`${server.url}/v1/shield/actions`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify(actionBody(organization, `offender_${comments % 7}`, `c-${++comments}`)),
          }).then((r) => r.body?.cancel()),
        ),
      );
    }
  };
  /** Actions sent in the background while a step watches. */
  const during = async <T>(step: Promise<T>, count: number, organization?: string): Promise<T> => {
    await new Promise((resolve) => setTimeout(resolve, 1300)); // the monitor settles 1 s first
    await sendActions(count, organization);
    return step;
  };

  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: '006' });
    organizationId = (await resolveOrganization(harness.database.db, { create: true })).id;
    server = await startShieldServer({
      db: Database.connect(harness.database.url, { max: 6 }),
      auth: { kind: 'bearer', token: apiToken },
      writer: 'legacy',
      host: '127.0.0.1',
      port: 0,
    });
  });
  afterAll(async () => {
    await server?.shutdown();
    await harness?.close();
  });

  it('baseline before 024: Shield latency percentiles, DB calls per action, failure rate, race events with the legacy writer', async () => {
    await sendActions(40);
    let rounds = 0;
    do {
      baseline = await run(baselineStep, {
        function: 'public.atomic_update_user_behavior',
        shield_metrics: shieldMetrics,
        race_probe: { actions: 100 },
      });
      rounds++;
    } while (baseline.metrics!.race_events === 0 && rounds < 3);
    const m = baseline.metrics!;
    expect(baseline.status).toBe('passed');
    expect(m.app_requests).toBe(40);
    expect(m.app_failure_rate).toBe(0);
    expect(m.app_latency_p50_ms).toBeGreaterThan(0);
    expect(m.app_latency_p95_ms).toBeGreaterThanOrEqual(m.app_latency_p50_ms!);
    expect(m.app_latency_p99_ms).toBeGreaterThanOrEqual(m.app_latency_p95_ms!);
    expect(m.app_db_calls_per_request).toBeGreaterThan(2);
    expect(m.race_events, 'the legacy writer lost no update in 3 probes of 100').toBeGreaterThan(0);
    expect(baseline.observed).toMatchObject({
      function_not_measured: 'public.atomic_update_user_behavior does not exist',
      app: { url: `${server.url}/metrics`, over: 'everything since the app started' },
      race_probe: { writer: 'legacy', writerFrom: 'the Shield API in use' },
    });
    expect(baseline.message).toMatch(/app 40 requests, latency mean [\d.]+ ms \(p50 [\d.]+, p95 [\d.]+, p99 [\d.]+\)/);
    console.info(`baseline (legacy): ${baseline.message}`);
  });

  it('baseline with a window counts only what the API did in it', async () => {
    const outcome = await during(run(baselineStep, { window: '3s', shield_metrics: shieldMetrics }), 12);
    expect(outcome.metrics).toMatchObject({ app_requests: 12, app_failure_rate: 0 });
    expect(outcome.metrics!.window_commits_per_s).toBeGreaterThan(0);
    expect(outcome.observed).toMatchObject({ app: { over: 'the 3s window' } });
  });

  it('after 024 and the switch to rpc: the monitor passes and fills the benchmark table', async () => {
    await migrate(harness.database.db, {});
    const switched = await fetch(`${server.url}/v1/admin/writer`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ writer: 'rpc' }),
    });
    expect(switched.status).toBe(200);
    const monitoring = run(
      monitorStep,
      {
        duration: '4s',
        interval: '500ms',
        function: 'public.atomic_update_user_behavior',
        shield_metrics: shieldMetrics,
        baseline: 'baseline',
        race_probe: { actions: 50 },
        benchmark: seedBenchmark,
        criteria: { max_deadlocks: 0, max_function_error_rate: 0.01, max_failure_increase: 0.1 },
      },
      { outcomes: { baseline } },
    );
    const outcome = await during(monitoring, 40);
    expect(outcome.status, outcome.message).toBe('passed');
    const observed = outcome.observed as {
      benchmark: Benchmark;
      samples: Record<string, unknown>[];
      race_probe: { writer: string; lost: number };
    };
    expect(observed.race_probe).toMatchObject({ writer: 'rpc', lost: 0 });
    const rows = Object.fromEntries(observed.benchmark.rows.map((r) => [r.metric, r]));
    expect(rows['Race condition events']).toMatchObject({
      baseline: baseline.metrics!.race_events,
      after: 0,
      met: true,
    });
    expect(rows['Avg Shield action latency']!.baseline).toBe(baseline.metrics!.app_latency_mean_ms);
    expect(rows['Avg Shield action latency']!.after).toBeGreaterThan(0);
    expect(rows['Avg DB calls per action']!.after).toBeLessThan(rows['Avg DB calls per action']!.baseline!);
    expect(rows['RPC function mean execution time']!.after).toBeGreaterThan(0);
    expect(observed.samples.some((s) => typeof s.app_latency_mean_ms === 'number')).toBe(true);
    expect(outcome.metrics).toMatchObject({ race_events: 0, app_failure_rate: 0, function_error_rate: 0 });
    console.info(
      `benchmark: ${JSON.stringify(observed.benchmark.rows.map((r) => [r.metric, r.baseline, r.after, r.met]))}`,
    );
  });

  it("post-migration baseline with compare_with: the seed's Measure Post-Migration Metrics, the earlier baseline vs this window", async () => {
    const outcome = await during(
      run(
        baselineStep,
        {
          function: 'public.atomic_update_user_behavior',
          window: '3s',
          shield_metrics: shieldMetrics,
          race_probe: { actions: 20 },
          compare_with: 'baseline',
          benchmark: seedBenchmark,
        },
        { outcomes: { baseline } },
      ),
      20,
    );
    expect(outcome.status).toBe('passed');
    expect(outcome.message).toMatch(/; vs baseline: \d of \d targets met$/);
    const { benchmark } = outcome.observed as { benchmark: Benchmark };
    expect(benchmark.baselineStep).toBe('baseline');
    const rows = Object.fromEntries(benchmark.rows.map((r) => [r.metric, r]));
    expect(rows['Race condition events']).toMatchObject({
      baseline: baseline.metrics!.race_events,
      after: 0,
      met: true,
    });
    expect(rows['Avg DB calls per action']).toMatchObject({ after: 2, met: true });
    expect(rows['Avg Shield action latency']!.after).toBeGreaterThan(0);

    const unknown = await run(baselineStep, { window: '200ms', compare_with: 'no-such-baseline' });
    expect((unknown.observed as { benchmark: Benchmark }).benchmark).toMatchObject({
      baselineStep: 'no-such-baseline',
    });
    expect(harness.progress).toContain('benchmark: baseline step no-such-baseline has no outcome in this run');
    expect(baselineStep.schema.safeParse({ compare_with: 'baseline' }).error?.issues[0]?.message).toBe(
      'compare_with compares figures over a window: give window too',
    );
  });

  it('fails at once when rpc actions fail, naming the criterion, the threshold and the value', async () => {
    const monitoring = run(
      monitorStep,
      {
        duration: '30s',
        interval: '300ms',
        shield_metrics: shieldMetrics,
        baseline: 'baseline',
        criteria: { max_function_error_rate: 0.01, max_failure_increase: 0.1 },
      },
      { outcomes: { baseline } },
    );
    const outcome = await during(monitoring, 24, missingOrganization);
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(
      /max_function_error_rate breached: function error rate 1 > 0\.01 \(\d+ of \d+ calls of the function failed, as the app counts them\)/,
    );
    expect(outcome.message).toMatch(/max_failure_increase breached: app failure rate 1 > 0\.0011/);
    expect((outcome.observed as { window_ms: number }).window_ms).toBeLessThan(20_000);
    expect(outcome.observed).toMatchObject({
      breaches: expect.arrayContaining([
        expect.objectContaining({ criterion: 'max_function_error_rate', limit: 0.01, value: 1 }),
      ]),
    });
  });

  it('never writes the token; a wrong token is an operational error with a hint', async () => {
    const files = (await readdir(harness.runDir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(await readFile(join(file.parentPath, file.name), 'utf8')).not.toContain(apiToken);
    expect(JSON.stringify(baseline)).not.toContain(apiToken);
    const error = await run(
      baselineStep,
      { shield_metrics: shieldMetrics },
      {},
      { ...env(), SHIELD_API_TOKEN: 'x'.repeat(64) },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShipcheckError);
    expect(error).toMatchObject({
      code: 'metrics_unavailable',
      message: `could not scrape ${server.url}/metrics: HTTP 401`,
    });
    expect((error as ShipcheckError).hint).toMatch(/token/);
  });

  it('refuses unset or bad variables before measuring anything; optional leaves Shield not measured', async () => {
    const progressBefore = harness.progress.length;
    const unset = await run(baselineStep, { shield_metrics: shieldMetrics }, {}, {}).catch((e: unknown) => e);
    expect(unset).toBeInstanceOf(UsageError);
    expect(unset).toMatchObject({
      message: "the environment variable SHIELD_METRICS_URL is not set: step step reads the app's metrics from it",
      hint: "set it to the app's URL, or mark its metrics optional: true",
    });
    await expect(
      run(
        monitorStep,
        { duration: '1s', interval: '500ms', shield_metrics: shieldMetrics, criteria: { max_deadlocks: 0 } },
        {},
        { SHIELD_METRICS_URL: server.url },
      ),
    ).rejects.toThrow(/SHIELD_API_TOKEN is not set/);
    await expect(
      run(baselineStep, { shield_metrics: shieldMetrics }, {}, { ...env(), SHIELD_METRICS_URL: 'ftp://x' }),
    ).rejects.toThrow(/does not hold an http\(s\) URL/);
    expect(harness.progress.length).toBe(progressBefore);
    const optional = await run(baselineStep, { shield_metrics: { ...shieldMetrics, optional: true } }, {}, {});
    expect(optional.observed).toMatchObject({ app_not_measured: 'SHIELD_METRICS_URL is not set' });
    const monitor = await run(
      monitorStep,
      {
        duration: '1s',
        interval: '500ms',
        shield_metrics: { ...shieldMetrics, optional: true },
        criteria: { max_function_error_rate: 0.01 },
      },
      {},
      {},
    );
    expect(monitor.message).toMatch(/not measured: max_function_error_rate/);
    expect(monitor.observed).toMatchObject({
      unmeasured: [{ criterion: 'max_function_error_rate', reason: 'SHIELD_METRICS_URL is not set' }],
    });
  });

  it('rejects bad specs', () => {
    for (const [kind, spec, words] of [
      [monitorStep, { duration: '10s', criteria: { max_failure_increase: 0.1 } }, 'compare with a baseline'],
      [
        monitorStep,
        { duration: '10s', criteria: { max_deadlocks: 0 }, shield_metrics: { url_env: 'shield url' } },
        'NAME of an environment variable',
      ],
      [monitorStep, { duration: '10s', criteria: { max_deadlocks: 0 }, race_probe: { actions: 1 } }, 'actions'],
      [monitorStep, { duration: '10s', criteria: { max_deadlocks: 0 }, lock_table: 'Robert; drop' }, 'lock_table'],
      [baselineStep, { race_probe: { writer: 'fast' } }, 'writer'],
      [baselineStep, { shield_metrics: { url_env: 'X', token: 'secret' } }, 'token'],
    ] as const) {
      const result = (kind as StepKind<unknown>).schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(words);
    }
  });
});
