/**
 * The names the baseline and monitor recorded an app's figures under before those were named
 * for any app: runs logged until then hold Shield's (`shield_actions`, `shield_latency_mean_ms`,
 * `shield_start`, …), each mapped here to today's name. Recorded figures are read back through
 * `currentNames` and `currentFigures` (the baseline a monitor compares with, a resumed window's
 * checkpoints, the report's charts), so such a run still resumes, compares and charts.
 */
const formerNames: Readonly<Record<string, string>> = {
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
const formerFigureNames: Readonly<Record<string, string>> = {
  actions: 'requests',
  functionActions: 'functionRequests',
  dbCallsPerAction: 'dbCallsPerRequest',
};

/**
 * `record` with its former names read as today's; a key recorded under today's name wins.
 *
 * @example currentNames({ shield_actions: 40, deadlocks: 0 }) // { app_requests: 40, deadlocks: 0 }
 */
export function currentNames<T = unknown>(record: Readonly<Record<string, T>> | object): Record<string, T> {
  return renamed(record, formerNames);
}

/**
 * Recorded app figures (AppFigures) with their former field names read as today's.
 *
 * @example currentFigures({ actions: 40, failed: 0 }) // { requests: 40, failed: 0 }
 */
export function currentFigures<T = unknown>(figures: Readonly<Record<string, T>> | object): Record<string, T> {
  return renamed(figures, formerFigureNames);
}

function renamed<T>(record: object, names: Readonly<Record<string, string>>): Record<string, T> {
  const entries = Object.entries(record) as [string, T][];
  const kept = entries.flatMap(([key, value]): [string, T][] => {
    const name = Object.hasOwn(names, key) ? names[key]! : key;
    return name !== key && Object.hasOwn(record, name) ? [] : [[name, value]];
  });
  // fromEntries defines own properties: a recorded "__proto__" key stays a key.
  return Object.fromEntries(kept);
}
