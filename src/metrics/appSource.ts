import { z } from 'zod';
import { UsageError } from '../errors.js';
import { shieldMetricNames } from '../shield/presets/shieldMetrics.js';
import { type AppMetricNames, appMetricNames, appMetricNamesFields } from './appMetricNames.js';
import type { ScrapeTarget } from './scrape.js';

const envName = (field: string) =>
  z.string().regex(/^[A-Z_][A-Z0-9_]*$/, `${field} is the NAME of an environment variable, e.g. APP_METRICS_URL`);

/** Where an app's /metrics is: both the URL and the token come from environment variables (the token is a secret; the URL may carry one too). */
const connectionFields = {
  url_env: envName('url_env').describe(
    "NAME of the variable holding the app's URL (/metrics is appended unless the path ends with it)",
  ),
  token_env: envName('token_env')
    .optional()
    .describe('NAME of the variable holding the bearer token /metrics needs (a secret: never printed)'),
  optional: z
    .boolean()
    .default(false)
    .describe("true: an unset url variable records the app's figures as not measured instead of stopping the run"),
};

/** Metric names that come with an app: `app_metrics: { preset: NAME }`. */
const presets: Readonly<Record<string, AppMetricNames>> = { shield: shieldMetricNames };

/** The older spelling of `app_metrics: { preset: shield, … }`: the Shield API's /metrics. */
export const shieldMetricsSchema = z.strictObject(connectionFields);

/**
 * Any app's Prometheus /metrics, with the metric names declared (requests and errors counters,
 * latency and DB-calls histograms, their labels), or a preset's names.
 */
export const appMetricsSchema = z
  .strictObject({
    ...connectionFields,
    preset: z
      .enum(['shield'])
      .optional()
      .describe("metric names that come with an app (shield: the Shield API's); then no names are declared"),
    requests_counter: appMetricNamesFields.requests_counter.optional(),
    errors_counter: appMetricNamesFields.errors_counter.optional(),
    latency_histogram: appMetricNamesFields.latency_histogram,
    latency_unit: z
      .enum(['seconds', 'milliseconds'])
      .optional()
      .describe("the latency histogram's unit: seconds (the Prometheus convention, the default) or milliseconds"),
    db_calls_histogram: appMetricNamesFields.db_calls_histogram,
    labels: appMetricNamesFields.labels,
    function_labels: appMetricNamesFields.function_labels,
    mode_gauge: appMetricNamesFields.mode_gauge,
  })
  .superRefine((spec, ctx) => {
    const declared = (
      [
        'requests_counter',
        'errors_counter',
        'latency_histogram',
        'db_calls_histogram',
        'labels',
        'function_labels',
        'mode_gauge',
        'latency_unit',
      ] as const
    ).filter((k) => spec[k] !== undefined);
    if (spec.preset !== undefined) {
      for (const k of declared)
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: `${k} comes from preset ${spec.preset}: declare names or a preset, not both`,
        });
      return;
    }
    for (const k of ['requests_counter', 'errors_counter'] as const) {
      if (spec[k] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: `${k} is required without a preset: the name of the counter (or { name, labels })`,
        });
    }
  });

export type ShieldMetricsSpec = z.infer<typeof shieldMetricsSchema>;
export type AppMetricsSpec = z.infer<typeof appMetricsSchema>;

/** A step's metrics source fields (one of the two spellings, `oneMetricsSource`), for its schema's shape. */
export const metricsSourceFields = {
  app_metrics: appMetricsSchema
    .optional()
    .describe(
      "any app's Prometheus /metrics: variables holding its URL and token, and its metric names (or preset: shield)",
    ),
  shield_metrics: shieldMetricsSchema
    .optional()
    .describe("the Shield API's /metrics (app_metrics with preset: shield): variables holding its URL and token"),
};

/** The `app_metrics` or `shield_metrics` of a step, as one spec (shield_metrics is the Shield preset). */
export function appMetricsOf(step: {
  readonly app_metrics?: AppMetricsSpec | undefined;
  readonly shield_metrics?: ShieldMetricsSpec | undefined;
}): AppMetricsSpec | undefined {
  if (step.app_metrics) return step.app_metrics;
  return step.shield_metrics && { ...step.shield_metrics, preset: 'shield' };
}

/** Refines a step's schema: one metrics source, not both spellings. */
export const oneMetricsSource = {
  check: (step: { app_metrics?: unknown; shield_metrics?: unknown }) =>
    step.app_metrics === undefined || step.shield_metrics === undefined,
  message: {
    message:
      'app_metrics and shield_metrics are two spellings of one source: give one (shield_metrics is app_metrics with preset: shield)',
    path: ['shield_metrics'],
  },
};

function namesOf(spec: AppMetricsSpec): AppMetricNames {
  if (spec.preset !== undefined) return presets[spec.preset]!;
  return appMetricNames({
    ...spec,
    requests_counter: spec.requests_counter!,
    errors_counter: spec.errors_counter!,
    latency_unit: spec.latency_unit ?? 'seconds',
  });
}

export type AppSource =
  | { readonly target: ScrapeTarget; readonly names: AppMetricNames }
  | { readonly notMeasured: string };

/**
 * The scrape target from the run's environment. An unset variable the step needs is an
 * operator's mistake, not a failed check: it stops the run (resumable) rather than
 * failing the step, which with on_fail: rollback would roll the migration back.
 */
export function resolveAppSource(spec: AppMetricsSpec | undefined, env: NodeJS.ProcessEnv, stepId: string): AppSource {
  if (spec === undefined) return { notMeasured: 'no app_metrics (or shield_metrics) in the step' };
  const raw = env[spec.url_env]?.trim();
  if (!raw) {
    if (spec.optional) return { notMeasured: `${spec.url_env} is not set` };
    throw new UsageError(
      `the environment variable ${spec.url_env} is not set: step ${stepId} reads the app's metrics from it`,
      {
        hint: "set it to the app's URL, or mark its metrics optional: true",
      },
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${spec.url_env} does not hold a URL (step ${stepId})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${spec.url_env} does not hold an http(s) URL (step ${stepId})`);
  if (!url.pathname.endsWith('/metrics')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/metrics`;
  const token = spec.token_env === undefined ? undefined : env[spec.token_env]?.trim();
  if (spec.token_env !== undefined && !token) {
    throw new UsageError(
      `the environment variable ${spec.token_env} is not set: step ${stepId} needs the app's token to read /metrics`,
    );
  }
  return { target: { url, ...(token && { token }) }, names: namesOf(spec) };
}
