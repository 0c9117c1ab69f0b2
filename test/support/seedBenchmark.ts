/** The seed's "Performance Benchmarking" rows and targets, as checklists/migration-024.yaml declares them. */
export const seedBenchmark = [
  { metric: 'Avg Shield action latency', figure: 'app_latency_mean_ms', target: '< 50' },
  { metric: 'Shield action latency p95', figure: 'app_latency_p95_ms' },
  { metric: 'Avg DB calls per action', figure: 'db_calls_per_action', target: '<= 2' },
  { metric: 'Race condition events', figure: 'race_events', target: '= 0' },
  { metric: 'RPC function mean execution time', figure: 'function_mean_exec_ms', target: '< 15' },
  { metric: 'RPC function error rate', figure: 'function_error_rate', target: '< 0.005' },
  { metric: 'Shield action failure rate', figure: 'failure_rate' },
  { metric: 'Deadlocks', figure: 'deadlocks', target: '= 0' },
] as const;
