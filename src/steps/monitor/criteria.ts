import { z } from 'zod';
import { round } from '../../metrics/latency.js';
import type { BaselineFigures } from '../../metrics/baselineFigures.js';
import type { AppFigures } from '../../metrics/appFigures.js';
import type { WindowFigures } from '../../metrics/window.js';

/** The seed's rollback criteria ("Rollback IMMEDIATELY if any of these occur"), as thresholds. */
export const criteriaSchema = z
  .strictObject({
    max_deadlocks: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('most deadlocks allowed in the window (pg_stat_database delta); 0: any deadlock fails'),
    max_server_restarts: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'most server restarts allowed in the window (pg_postmaster_start_time, or counters thrown away by crash recovery); 0 when not given',
      ),
    max_mean_exec_ms: z
      .number()
      .positive()
      .optional()
      .describe(
        "highest mean time per call of the step's function in the window, in milliseconds (pg_stat_user_functions, or pg_stat_statements when track_functions is none)",
      ),
    max_rollback_rate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('highest share of transactions rolled back in the window, 0 to 1 (judged from 20 transactions on)'),
    max_lock_waits: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('most backends of the database waiting for a lock at any one sample (pg_stat_activity)'),
    max_table_lock_waits: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("most backends waiting for a lock while working on the step's lock_table at any one sample (pg_locks)"),
    max_function_error_rate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        "highest share of the app's calls of the step's function that failed in the window, 0 to 1 (app_metrics errors / requests with function_labels; Shield: its rpc and action writers); counted by the app, so a call that failed before it returned counts; needs app_metrics or shield_metrics",
      ),
    max_failure_increase: z
      .number()
      .min(0)
      .optional()
      .describe(
        "largest relative rise of the app's request failure rate (app_metrics) over the baseline's, 0.1 = +10 % (a baseline of 0 counts as 0.1 %); needs baseline",
      ),
    max_degradation: z
      .number()
      .min(0)
      .optional()
      .describe(
        "largest relative rise of the app's mean request latency or the function's mean time over the baseline, 0.2 = +20 %; needs baseline",
      ),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'criteria names no criterion' });

export type Criteria = z.infer<typeof criteriaSchema>;

/**
 * The criteria a window is judged by: the checklist's, plus no server restart unless it allows some.
 * A restart is not a criterion a team thinks to write, and it is what hid deadlocks before.
 */
export function windowCriteria(criteria: Criteria): Criteria {
  return { ...criteria, max_server_restarts: criteria.max_server_restarts ?? 0 };
}
export type CriterionName = keyof Criteria;

/** Criteria that compare with the baseline step named in the monitor's `baseline` field. */
export const baselineCriteria: readonly CriterionName[] = ['max_failure_increase', 'max_degradation'];

export interface Breach {
  readonly criterion: string;
  /** The threshold as measured against (for relative criteria: the computed limit). */
  readonly limit: number;
  readonly value: number;
  /** What was compared, for relative criteria: "failure rate 0.05 vs baseline 0". */
  readonly detail?: string;
}

export interface Unmeasured {
  readonly criterion: string;
  readonly reason: string;
}

/**
 * A rate over a handful of events is noise (one stray rollback among five is 20 %):
 * rates and relative changes are judged once the window holds at least this many.
 */
export const minTransactionsForRate = 20;

/**
 * A baseline without a single failure would make any failure an infinite increase:
 * the baseline failure rate counts as at least the seed's error-rate target (< 0.1 %).
 */
export const baselineFailureRateFloor = 0.001;

export interface Judged {
  readonly db: WindowFigures;
  readonly app: AppFigures | null;
  readonly baseline: BaselineFigures | null;
}

/** Every criterion's measured value now (null: no data yet), and the ones the values break. */
export function evaluate(
  criteria: Criteria,
  judged: Judged,
): { values: Partial<Record<CriterionName, number | null>>; breaches: Breach[] } {
  const values: Partial<Record<CriterionName, number | null>> = {};
  const found: Breach[] = [];
  const check = (criterion: CriterionName, value: number | null, limit: number | undefined, detail?: string) => {
    if (limit === undefined) return;
    values[criterion] = value;
    if (value !== null && value > limit) found.push({ criterion, limit, value, ...(detail && { detail }) });
  };
  const { db, app, baseline } = judged;
  const enoughTransactions = db.commits + db.rollbacks >= minTransactionsForRate;
  check('max_deadlocks', db.deadlocks, criteria.max_deadlocks);
  check('max_server_restarts', db.serverRestarts, criteria.max_server_restarts);
  check('max_mean_exec_ms', db.meanExecMs, criteria.max_mean_exec_ms);
  check('max_rollback_rate', enoughTransactions ? db.rollbackRate : null, criteria.max_rollback_rate);
  check('max_lock_waits', db.lockWaits, criteria.max_lock_waits);
  check('max_table_lock_waits', db.tableLockWaits, criteria.max_table_lock_waits);
  check(
    'max_function_error_rate',
    app && app.functionRequests >= minTransactionsForRate ? app.functionErrorRate : null,
    criteria.max_function_error_rate,
    app
      ? `${app.functionFailed} of ${app.functionRequests} calls of the function failed, as the app counts them`
      : undefined,
  );
  if (criteria.max_failure_increase !== undefined) {
    const measured =
      app && app.requests >= minTransactionsForRate && baseline?.failureRate != null ? app.failureRate : null;
    const reference = Math.max(baseline?.failureRate ?? 0, baselineFailureRateFloor);
    const limit = round(reference * (1 + criteria.max_failure_increase), 6);
    values.max_failure_increase = measured;
    if (measured !== null && measured > limit) {
      found.push({
        criterion: 'max_failure_increase',
        limit,
        value: measured,
        detail: `app failure rate ${measured} (${app!.failed} of ${app!.requests}) vs baseline ${baseline!.failureRate} (counted as at least ${baselineFailureRateFloor}) +${round(criteria.max_failure_increase * 100, 2)} %`,
      });
    }
  }
  if (criteria.max_degradation !== undefined) {
    const worst = degradation(judged);
    values.max_degradation = worst?.value ?? null;
    if (worst && worst.value > criteria.max_degradation)
      found.push({ criterion: 'max_degradation', limit: criteria.max_degradation, ...worst });
  }
  return { values, breaches: found };
}

/** The larger relative slowdown vs baseline: the app's request latency, function mean time. */
function degradation({ db, app, baseline }: Judged): { value: number; detail: string } | null {
  if (!baseline) return null;
  const candidates: { value: number; detail: string }[] = [];
  if (app && app.requests >= minTransactionsForRate && app.latencyMeanMs !== null && baseline.latencyMeanMs) {
    candidates.push({
      value: round(app.latencyMeanMs / baseline.latencyMeanMs - 1, 4),
      detail: `mean app request latency ${app.latencyMeanMs} ms vs baseline ${baseline.latencyMeanMs} ms`,
    });
  }
  if ((db.functionCalls ?? 0) >= minTransactionsForRate && db.meanExecMs !== null && baseline.meanExecMs) {
    candidates.push({
      value: round(db.meanExecMs / baseline.meanExecMs - 1, 4),
      detail: `function mean execution time ${db.meanExecMs} ms vs baseline ${baseline.meanExecMs} ms`,
    });
  }
  return candidates.sort((a, b) => b.value - a.value)[0] ?? null;
}

const what: Record<string, string> = {
  max_deadlocks: 'deadlocks',
  max_server_restarts: 'server restarts',
  max_mean_exec_ms: 'mean execution time (ms)',
  max_rollback_rate: 'rollback rate',
  max_lock_waits: 'lock waits',
  max_table_lock_waits: 'lock waits on the table',
  max_function_error_rate: 'function error rate',
  max_failure_increase: 'app failure rate',
  max_degradation: 'degradation vs baseline',
};

export function describeBreach(breach: Breach): string {
  return `${breach.criterion} breached: ${what[breach.criterion] ?? breach.criterion} ${breach.value} > ${breach.limit}${breach.detail ? ` (${breach.detail})` : ''}`;
}

export function describeCriteria(criteria: Criteria): string {
  return Object.entries(criteria)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}
