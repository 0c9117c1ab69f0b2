import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineStep } from '../../../src/steps/baseline.js';
import { monitorStep } from '../../../src/steps/monitor.js';
import type { StepKind } from '../../../src/steps/types.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

/**
 * A monitor on an app that is not Shield: its own schema, its own function, its own metric
 * names declared in the step. Each request calls billing.charge(amount); a negative amount
 * makes the function raise, so the call never returns and pg_stat_user_functions never
 * counts it: only the app's errors counter sees it, and the error rate is read from there.
 */
describe('monitor and baseline on any app /metrics', () => {
  let harness: StepHarness;
  let server: Server;
  let url: string;
  const registry = new Registry();
  const requests = new Counter({
    name: 'billing_requests_total',
    help: 'requests',
    labelNames: ['route', 'job'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'billing_errors_total',
    help: 'failed requests',
    labelNames: ['route', 'job'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'billing_request_ms',
    help: 'ms per request',
    labelNames: ['route', 'job'],
    buckets: [1, 5, 25, 100],
    registers: [registry],
  });

  const appMetrics = {
    url_env: 'BILLING_URL',
    requests_counter: 'billing_requests_total',
    errors_counter: 'billing_errors_total',
    latency_histogram: 'billing_request_ms',
    latency_unit: 'milliseconds',
    labels: { job: 'billing' },
    function_labels: { route: 'charge' },
  };
  const run = <Spec>(kind: StepKind<Spec>, raw: unknown) =>
    kind.run(kind.schema.parse(raw), { ...harness.context({}), env: { BILLING_URL: url } });

  /** One request of the app: a call of billing.charge, counted by the app whether it returns or not. */
  const charge = async (amount: number) => {
    const labels = { route: 'charge', job: 'billing' };
    const started = performance.now();
    requests.inc(labels);
    try {
      await harness.database.db.query('select billing.charge($1)', [amount]);
    } catch {
      errors.inc(labels);
    } finally {
      latency.observe(labels, performance.now() - started);
    }
  };
  const functionCalls = async () =>
    Number(
      (
        await harness.database.db.query<{ calls: string | null }>(
          "select sum(calls) as calls from pg_stat_user_functions where funcname = 'charge'",
        )
      ).rows[0]!.calls ?? 0,
    );

  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
    await harness.database.db.query(`
      create schema billing;
      create table billing.ledger (id bigserial primary key, amount int not null);
      create function billing.charge(amount int) returns void language plpgsql as $$
      begin
        if amount < 0 then raise exception 'negative amount %', amount; end if;
        insert into billing.ledger (amount) values (amount);
      end $$;`);
    // Another service's series on the same /metrics: left out by labels: { job: billing }.
    requests.inc({ route: 'charge', job: 'other' }, 1000);
    server = createServer((request, response) => {
      if (request.url !== '/metrics') return void response.writeHead(404).end();
      void registry
        .metrics()
        .then((text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await harness?.close();
  });

  it('baseline reads the declared names: requests, errors, latency in ms, other jobs left out', async () => {
    for (let i = 0; i < 20; i++) await charge(i);
    await charge(-1);
    const outcome = await run(baselineStep, { function: 'billing.charge', app_metrics: appMetrics });
    expect(outcome.status).toBe('passed');
    expect(outcome.metrics).toMatchObject({
      app_requests: 21,
      app_failure_rate: round(1 / 21),
      function_error_rate: round(1 / 21),
    });
    expect(outcome.metrics!.app_latency_mean_ms).toBeGreaterThan(0);
    expect(outcome.message).toMatch(/app 21 requests, latency mean [\d.]+ ms/);
    expect(outcome.observed).toMatchObject({ app: { figures: { requests: 21, failed: 1 } } });
    // Recorded under the app's names: nothing of another service's vocabulary in a billing app's evidence.
    expect(JSON.stringify(outcome)).not.toMatch(/shield|actions?\b/i);
  });

  it('max_function_error_rate: calls that raised (never in pg_stat_user_functions) fail the window, counted by the app', async () => {
    const before = await functionCalls();
    const step = run(monitorStep, {
      duration: '4s',
      interval: '500ms',
      function: 'billing.charge',
      app_metrics: appMetrics,
      criteria: { max_function_error_rate: 0.01 },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // after the monitor's first sample
    for (let i = 0; i < 20; i++) await charge(i % 4 === 0 ? -i - 1 : i);
    const outcome = await step;
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(
      /max_function_error_rate breached: function error rate 0\.25 > 0\.01 \(5 of 20 calls of the function failed, as the app counts them\)/,
    );
    const samples = (outcome.observed as { samples: Record<string, unknown>[] }).samples;
    expect(samples.some((p) => typeof p.app_requests_per_s === 'number')).toBe(true);
    expect(JSON.stringify(outcome)).not.toMatch(/shield|actions?\b/i);
    // The database saw only the 15 calls that returned.
    await expect.poll(async () => (await functionCalls()) - before, { timeout: 10_000, interval: 200 }).toBe(15);
  });

  it('pg_stat_statements does not see a call that raised either: only the app counts it', async (ctx) => {
    const { rows } = await harness.database.db.query<{ available: boolean; preload: string }>(
      "select exists (select 1 from pg_available_extensions where name = 'pg_stat_statements') as available, current_setting('shared_preload_libraries') as preload",
    );
    ctx.skip(
      !rows[0]!.available || !/\bpg_stat_statements\b/.test(rows[0]!.preload),
      'pg_stat_statements is not loadable on this server',
    );
    await harness.database.db.query('create extension if not exists pg_stat_statements');
    const statementCalls = async () =>
      Number(
        (
          await harness.database.db.query<{ calls: string | null }>(
            "select sum(calls) as calls from pg_stat_statements where query = 'select billing.charge($1)'",
          )
        ).rows[0]!.calls ?? 0,
      );
    const before = await statementCalls();
    for (const amount of [1, -1, 2, -2]) await charge(amount);
    expect((await statementCalls()) - before).toBe(2);
  });

  it('names from a preset or declared, never both; requests and errors are required without a preset', () => {
    const cases: [unknown, string][] = [
      [
        { duration: '10s', criteria: { max_deadlocks: 0 }, app_metrics: { url_env: 'X' } },
        'requests_counter is required without a preset',
      ],
      [
        {
          duration: '10s',
          criteria: { max_deadlocks: 0 },
          app_metrics: { url_env: 'X', preset: 'shield', requests_counter: 'r' },
        },
        'declare names or a preset, not both',
      ],
      [
        {
          duration: '10s',
          criteria: { max_deadlocks: 0 },
          app_metrics: { ...appMetrics },
          shield_metrics: { url_env: 'X' },
        },
        'two spellings of one source',
      ],
      [
        {
          duration: '10s',
          criteria: { max_deadlocks: 0 },
          app_metrics: { ...appMetrics, requests_counter: 'has space' },
        },
        'a Prometheus metric name',
      ],
    ];
    for (const [spec, words] of cases) {
      const result = monitorStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(words);
    }
    expect(
      monitorStep.schema.safeParse({
        duration: '10s',
        criteria: { max_deadlocks: 0 },
        app_metrics: { url_env: 'X', preset: 'shield' },
      }).success,
    ).toBe(true);
  });
});

function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
