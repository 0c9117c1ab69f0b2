import type { RunState } from '../state.js';
import { unfinishedRollback } from '../stateQueries.js';

/**
 * The sentence a resumed session opens with when it finishes the run's unfinished
 * rollback instead of going back into its phases; undefined for any other resume.
 *
 * @example
 * describeResumedRollback(state)
 * // 'resuming the rollback of run 20251024-101500-staging-3f9a (function_related branch) started after step
 * //  concurrency-test failed: rollback steps already done are not repeated, concurrency-test is not run again'
 */
export function describeResumedRollback(state: RunState): string | undefined {
  const unfinished = unfinishedRollback(state);
  if (!unfinished) return undefined;
  if (!unfinished.started) {
    const { id } = unfinished.failedStep;
    return `resuming the rollback of run ${state.runId} decided after step ${id} failed: ${id} is not run again`;
  }
  const { branch, triggeredBy, reason } = unfinished.rollback;
  const started = triggeredBy !== undefined ? `after step ${triggeredBy} failed` : `by hand (${reason})`;
  const notAgain = triggeredBy !== undefined ? `, ${triggeredBy} is not run again` : '';
  return `resuming the rollback of run ${state.runId} (${branch} branch) started ${started}: rollback steps already done are not repeated${notAgain}`;
}
