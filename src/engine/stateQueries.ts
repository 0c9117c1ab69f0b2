import type { RollbackState, RunState, StepState } from './state.js';

// Questions asked of a folded run state (state.ts builds it; these only read it).

/** Steps of the run's phases (or of one phase) that failed and went on under `on_fail: warn`. */
export function warnedSteps(state: RunState, phaseId?: string): StepState[] {
  return state.steps.filter(
    (s) =>
      s.status === 'Error' &&
      s.action === 'warn' &&
      !s.phaseId.startsWith('rollback:') &&
      (phaseId === undefined || s.phaseId === phaseId),
  );
}

/** Finished runs are never resumed; a new `run` starts a new one. */
export function isFinished(state: RunState): boolean {
  return !['in_progress', 'awaiting_approval', 'stopped'].includes(state.status);
}

/** A rollback a resume must finish: one the run log shows started, or one on_fail decided and no one started. */
export type UnfinishedRollback =
  | { readonly started: true; readonly rollback: RollbackState }
  | { readonly started: false; readonly failedStep: StepState };

/**
 * What a process killed during a rollback left to finish: the rollback it had
 * started (still running, or ended without the run ending over it), or, killed
 * between a step's failure and `rollback_started`, the failed step whose on_fail
 * had decided one. A resume finishes this, never the run's phases.
 *
 * @example
 * unfinishedRollback(state) // { started: true, rollback: { branch: 'function_related', status: 'running', steps: ['rb-drop'], … } }
 */
export function unfinishedRollback(state: RunState): UnfinishedRollback | undefined {
  const { rollback } = state;
  if (rollback) return rollback.status === 'running' || !isFinished(state) ? { started: true, rollback } : undefined;
  if (isFinished(state)) return undefined;
  const failedStep = state.steps.find(
    (s) => s.status === 'Error' && s.action === 'rollback' && !s.phaseId.startsWith('rollback:'),
  );
  return failedStep && { started: false, failedStep };
}
