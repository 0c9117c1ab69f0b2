import type { AppMetricNames } from '../../metrics/appMetricNames.js';

/**
 * The Shield API's /metrics (docs/http-api.md) as the metric names a monitor or baseline reads:
 * `app_metrics: { preset: shield, … }`, or the older spelling `shield_metrics: { … }`.
 * Refused input (`result="invalid"`, a 400) never reaches the database: left out of requests
 * and latency. Each action of the `rpc` and `action` writers is one call of
 * atomic_update_user_behavior (rpc directly, action from inside shield_record_action).
 */
export const shieldMetricNames: AppMetricNames = {
  requests: { name: 'shield_actions_total', labels: { result: ['success', 'failed'] } },
  errors: { name: 'shield_actions_total', labels: { result: 'failed' } },
  latency: { name: 'shield_action_duration_seconds', labels: { result: ['success', 'failed'] }, unit: 'seconds' },
  dbCalls: { name: 'shield_action_db_round_trips', labels: {} },
  functionLabels: { writer: ['rpc', 'action'] },
  mode: { gauge: 'shield_writer', label: 'writer' },
};
