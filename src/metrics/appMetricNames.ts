import { z } from 'zod';

/** Label values a series must have: one value, or any of a list. */
export type LabelValues = Readonly<Record<string, string | readonly string[]>>;

/** One metric of an app's /metrics: its name and the labels of the series that count. */
export interface MetricSelector {
  readonly name: string;
  readonly labels: LabelValues;
}

/**
 * Which series of an app's Prometheus /metrics are its requests (actions), their failures,
 * their latency and their database calls: the checklist declares them (or names a preset),
 * so nothing here knows any one application's metric names.
 */
export interface AppMetricNames {
  /** Counter of every request that reached the app's handling (refused input left out by its labels). */
  readonly requests: MetricSelector;
  /** Counter of the failed ones: the same counter with other labels, or another counter. */
  readonly errors: MetricSelector;
  /** Histogram of the time per request. */
  readonly latency?: MetricSelector & { readonly unit: 'seconds' | 'milliseconds' };
  /** Histogram of database calls per request (the seed's "DB calls per action"). */
  readonly dbCalls?: MetricSelector;
  /** Labels that pick, among requests and errors, the ones that each are one call of the monitored function. */
  readonly functionLabels?: LabelValues;
  /** A gauge that is 1 for the mode the app runs in (e.g. the writer in use): the value of `label` is recorded. */
  readonly mode?: { readonly gauge: string; readonly label: string };
}

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name, e.g. http_requests_total');
const labelValues = z
  .record(
    z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name'),
    z.union([z.string(), z.array(z.string()).min(1)]),
  )
  .describe('label: value, or label: [values] (any of them)');

/** A metric as the checklist writes it: its name, or `{ name, labels }`. */
export const metricSelectorSchema = z.union([
  metricName,
  z.strictObject({ name: metricName.describe('the metric name'), labels: labelValues.default({}) }),
]);

export function selector(spec: z.infer<typeof metricSelectorSchema>, common: LabelValues = {}): MetricSelector {
  return typeof spec === 'string'
    ? { name: spec, labels: common }
    : { name: spec.name, labels: { ...common, ...spec.labels } };
}

/** The metric names a checklist declares in `app_metrics` (without a preset). */
export const appMetricNamesFields = {
  requests_counter: metricSelectorSchema.describe(
    'counter of requests/actions: a name, or { name, labels } to count only some series (e.g. refused input left out)',
  ),
  errors_counter: metricSelectorSchema.describe(
    'counter of failed requests: another counter, or the requests counter with the labels of failures ({ name, labels: { result: failed } })',
  ),
  latency_histogram: metricSelectorSchema
    .optional()
    .describe('histogram of the time per request (a name, or { name, labels })'),
  latency_unit: z
    .enum(['seconds', 'milliseconds'])
    .default('seconds')
    .describe("the latency histogram's unit (Prometheus convention: seconds)"),
  db_calls_histogram: metricSelectorSchema.optional().describe('histogram of database calls per request'),
  labels: labelValues
    .optional()
    .describe('labels every series read must have (e.g. { job: api }), added to each metric above'),
  function_labels: labelValues
    .optional()
    .describe(
      "labels of the requests that each are one call of the step's function (its error rate); omitted: every request is one",
    ),
  mode_gauge: z
    .strictObject({
      name: metricName.describe("the gauge's name"),
      label: z.string().min(1).describe('the label whose value names the mode'),
    })
    .optional()
    .describe('a gauge that is 1 for the mode in use (e.g. the writer): the value of its label is recorded'),
};

const namesSchema = z.strictObject(appMetricNamesFields);

export function appMetricNames(spec: z.infer<typeof namesSchema>): AppMetricNames {
  const common = spec.labels ?? {};
  return {
    requests: selector(spec.requests_counter, common),
    errors: selector(spec.errors_counter, common),
    ...(spec.latency_histogram && {
      latency: { ...selector(spec.latency_histogram, common), unit: spec.latency_unit },
    }),
    ...(spec.db_calls_histogram && { dbCalls: selector(spec.db_calls_histogram, common) }),
    ...(spec.function_labels && { functionLabels: spec.function_labels }),
    ...(spec.mode_gauge && { mode: { gauge: spec.mode_gauge.name, label: spec.mode_gauge.label } }),
  };
}
