import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type WriterName, writerNames } from '../writers/index.js';

/** How one POST /v1/shield/actions ended: the `result` label of shield_actions_total. */
export type ActionResult = 'success' | 'failed' | 'invalid';

/** What went wrong, for shield_http_errors_total{kind}; one word an alert can match on. */
export type ErrorKind =
  | 'unauthorized'
  | 'forbidden'
  | 'bad_request'
  | 'not_found'
  | 'conflict'
  | 'service_failed'
  | 'unavailable'
  | 'timeout'
  | 'database'
  | 'internal';

export interface ShieldMetrics {
  /** Its own registry, so two apps in one process (tests) never share or clash on series. */
  readonly registry: Registry;
  observeAction(writer: WriterName, result: ActionResult, seconds: number, roundTrips: number | null): void;
  countError(kind: ErrorKind): void;
  setWriter(current: WriterName): void;
}

// 1 ms … 5 s: a healthy action is a few ms; the seed's rollback line is "latency > 2x baseline", and a
// sick one must still be measured (a top bucket of 1 s would clip every percentile above it).
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// action needs 1 round trip per action, rpc 2, legacy 3–5; above 20 something loops.
const roundTripBuckets = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20];

/**
 * The Shield API's Prometheus series (names documented in docs/http-api.md):
 * shield_action_duration_seconds, shield_actions_total, shield_action_db_round_trips,
 * shield_http_errors_total, shield_writer, plus prom-client's default process metrics.
 *
 * @example
 * const metrics = createShieldMetrics();
 * metrics.observeAction('rpc', 'success', 0.004, 3);
 * const text = await metrics.registry.metrics();
 */
export function createShieldMetrics(): ShieldMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'shield_action_duration_seconds',
    help: 'Time to handle one POST /v1/shield/actions, from parsed body to reply, by writer and result',
    labelNames: ['writer', 'result'] as const,
    buckets: latencyBuckets,
    registers: [registry],
  });
  const actions = new Counter({
    name: 'shield_actions_total',
    help: 'Action requests handled, by writer and result (success, failed, invalid)',
    labelNames: ['writer', 'result'] as const,
    registers: [registry],
  });
  const roundTrips = new Histogram({
    name: 'shield_action_db_round_trips',
    help: 'Database round trips one action request made (the seed checklist "DB calls per action")',
    labelNames: ['writer'] as const,
    buckets: roundTripBuckets,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'shield_http_errors_total',
    help: 'Requests answered with an error, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const writer = new Gauge({
    name: 'shield_writer',
    help: 'The behaviour writer in use: 1 for the current one, 0 for the others',
    labelNames: ['writer'] as const,
    registers: [registry],
  });

  // Zeroed series exist from the first scrape, so rate() and absent() behave before traffic.
  for (const name of writerNames) {
    for (const result of ['success', 'failed', 'invalid'] as const) actions.inc({ writer: name, result }, 0);
  }

  return {
    registry,
    observeAction(writerName, result, seconds, trips) {
      duration.observe({ writer: writerName, result }, seconds);
      actions.inc({ writer: writerName, result });
      if (trips !== null) roundTrips.observe({ writer: writerName }, trips);
    },
    countError(kind) {
      errors.inc({ kind });
    },
    setWriter(current) {
      for (const name of writerNames) writer.set({ writer: name }, name === current ? 1 : 0);
    },
  };
}
