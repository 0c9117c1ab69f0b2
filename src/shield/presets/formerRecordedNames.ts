/**
 * The names the baseline and monitor recorded an app's figures under before those were named
 * for any app: Shield's, the first app (`shield_actions`, `shield_latency_mean_ms`,
 * `shield_start`, …), each mapped to today's name. Read by src/metrics/recordedNames.ts, so
 * runs logged then still resume, compare and chart.
 */
export const formerNames: Readonly<Record<string, string>> = {
  // Outcome metrics of baseline and monitor.
  shield_actions: 'app_requests',
  shield_failure_rate: 'app_failure_rate',
  shield_function_error_rate: 'function_error_rate',
  shield_action_latency_mean_ms: 'app_latency_mean_ms',
  shield_action_latency_p50_ms: 'app_latency_p50_ms',
  shield_action_latency_p95_ms: 'app_latency_p95_ms',
  shield_action_latency_p99_ms: 'app_latency_p99_ms',
  shield_db_calls_per_action: 'app_db_calls_per_request',
  // Monitor samples (observed.samples, samples.json, checkpoints).
  shield_actions_per_s: 'app_requests_per_s',
  shield_latency_mean_ms: 'app_latency_mean_ms',
  shield_latency_p95_ms: 'app_latency_p95_ms',
  shield_error: 'app_scrape_error',
  // A monitor window's checkpoints: the first scrape, and the figures since it.
  shield_start: 'app_start',
  shield: 'app',
};

/** The fields of the app's figures (observed.app, a checkpoint's last.app) as Shield's "actions" named them. */
export const formerFigureNames: Readonly<Record<string, string>> = {
  actions: 'requests',
  functionActions: 'functionRequests',
  dbCallsPerAction: 'dbCallsPerRequest',
};
