import type { BaselineFigures } from '../../metrics/baselineFigures.js';
import { type Criteria, type CriterionName, minTransactionsForRate, type Unmeasured } from './criteria.js';

/** Why each source is missing; undefined when it is there. */
export interface MissingSources {
  readonly function?: string | undefined;
  readonly app?: string | undefined;
  readonly baseline?: string | undefined;
  /** The baseline's function mean time cannot be compared with this window's (another source). */
  readonly baselineFunction?: string | undefined;
}

/**
 * Criteria that cannot be judged at all in this window, with the reason — said out loud
 * rather than passed silently.
 */
export function unmeasuredCriteria(
  criteria: Criteria,
  missing: MissingSources,
  baseline?: BaselineFigures | null,
): Unmeasured[] {
  const out: Unmeasured[] = [];
  const add = (criterion: CriterionName, reason: string | undefined) => {
    if (criteria[criterion] !== undefined && reason !== undefined) out.push({ criterion, reason });
  };
  add('max_mean_exec_ms', missing.function);
  add('max_function_error_rate', missing.app);
  add(
    'max_failure_increase',
    missing.app ??
      missing.baseline ??
      (baseline && baseline.failureRate === null ? `baseline ${baseline.stepId} has no app failure rate` : undefined),
  );
  add('max_degradation', missing.baseline ?? degradationUnmeasurable(missing, baseline));
  return out;
}

/** max_degradation compares latency or function time with the baseline: why neither can be, if so. */
function degradationUnmeasurable(
  missing: MissingSources,
  baseline: BaselineFigures | null | undefined,
): string | undefined {
  if (!baseline) return undefined;
  const latency =
    missing.app ??
    (baseline.latencyMeanMs === null ? `baseline ${baseline.stepId} has no app request latency` : undefined);
  const functionTime =
    missing.function ??
    missing.baselineFunction ??
    (baseline.meanExecMs === null ? `baseline ${baseline.stepId} has no function mean time` : undefined);
  if (latency === undefined || functionTime === undefined) return undefined;
  if (missing.app === undefined && missing.function === undefined && missing.baselineFunction === undefined) {
    return `baseline ${baseline.stepId} has neither an app request latency nor a function mean time`;
  }
  return `app latency: ${latency}; function time: ${functionTime}`;
}

const noDataReason: Partial<Record<CriterionName, string>> = {
  max_mean_exec_ms: 'the function was not called in the window',
  max_table_lock_waits: 'the lock_table does not exist',
  max_rollback_rate: `fewer than ${minTransactionsForRate} transactions in the window`,
  max_function_error_rate: `fewer than ${minTransactionsForRate} calls of the function counted by the app in the window`,
  max_failure_increase: `fewer than ${minTransactionsForRate} app requests in the window`,
  max_degradation: `fewer than ${minTransactionsForRate} app requests or function calls to compare with the baseline`,
};

/** Criteria that had a source but never a value by the end of the window. */
export function noDataCriteria(
  values: Partial<Record<CriterionName, number | null>>,
  already: readonly Unmeasured[],
): Unmeasured[] {
  return (Object.entries(values) as [CriterionName, number | null][])
    .filter(([criterion, value]) => value === null && !already.some((u) => u.criterion === criterion))
    .map(([criterion]) => ({ criterion, reason: `no data: ${noDataReason[criterion] ?? 'nothing measured'}` }));
}
