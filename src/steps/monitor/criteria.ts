import { z } from 'zod';
import type { WindowFigures } from './window.js';

/** The seed's rollback criteria that the database can measure. */
export const criteriaSchema = z
  .strictObject({
    /** "Any deadlocks detected": deadlocks in the window (pg_stat_database delta). */
    max_deadlocks: z.number().int().min(0).optional(),
    /** "RPC function calls completing <15ms": mean execution time in the window (pg_stat_user_functions). */
    max_mean_exec_ms: z.number().positive().optional(),
    /** Share of transactions that rolled back in the window, 0..1 (pg_stat_database). */
    max_rollback_rate: z.number().min(0).max(1).optional(),
    /** Backends of the database waiting for a lock at a sample ("no lock contention"). */
    max_lock_waits: z.number().int().min(0).optional(),
    /** "RPC function error rate >1%": not measurable from the catalog (see docs/step-kinds.md); recorded as not measured. */
    max_function_error_rate: z.number().min(0).max(1).optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'criteria names no criterion' });

export type Criteria = z.infer<typeof criteriaSchema>;

export interface Breach {
  readonly criterion: string;
  readonly limit: number;
  readonly value: number;
}

export interface Unmeasured {
  readonly criterion: string;
  readonly reason: string;
}

const functionErrorsNotMeasured =
  'pg_stat_user_functions counts only calls that returned, so errors are invisible to it; the Shield API error rate is not wired in yet';

/** Criteria that cannot be judged here at all, whatever the samples say. */
export function unmeasuredCriteria(criteria: Criteria, functionReason: string | undefined): Unmeasured[] {
  const unmeasured: Unmeasured[] = [];
  if (criteria.max_mean_exec_ms !== undefined && functionReason) {
    unmeasured.push({ criterion: 'max_mean_exec_ms', reason: functionReason });
  }
  if (criteria.max_function_error_rate !== undefined) {
    unmeasured.push({ criterion: 'max_function_error_rate', reason: functionErrorsNotMeasured });
  }
  return unmeasured;
}

/**
 * A rate over a handful of transactions is noise (one stray rollback among five is 20 %):
 * the rollback rate is judged once the window holds at least this many.
 */
export const minTransactionsForRate = 20;

/** Every criterion the figures break; a figure with no data yet (null) breaks nothing. */
export function breaches(criteria: Criteria, figures: WindowFigures): Breach[] {
  const enoughForRate = figures.commits + figures.rollbacks >= minTransactionsForRate;
  const checks: [keyof Criteria, number | null][] = [
    ['max_deadlocks', figures.deadlocks],
    ['max_mean_exec_ms', figures.meanExecMs],
    ['max_rollback_rate', enoughForRate ? figures.rollbackRate : null],
    ['max_lock_waits', figures.lockWaits],
  ];
  return checks.flatMap(([criterion, value]) => {
    const limit = criteria[criterion];
    return limit !== undefined && value !== null && value > limit ? [{ criterion, limit, value }] : [];
  });
}

export function describeBreach(breach: Breach): string {
  const what: Record<string, string> = {
    max_deadlocks: 'deadlocks',
    max_mean_exec_ms: 'mean execution time (ms)',
    max_rollback_rate: 'rollback rate',
    max_lock_waits: 'lock waits',
  };
  return `${breach.criterion} breached: ${what[breach.criterion] ?? breach.criterion} ${breach.value} > ${breach.limit}`;
}

export function describeCriteria(criteria: Criteria): string {
  return Object.entries(criteria)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}
