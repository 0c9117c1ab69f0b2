import { CheckFailedError } from '../errors.js';
import type { ChecklistPhase } from '../checklist/types.js';
import { traitsOfStep } from '../steps/traits.js';
import { settleInterruptedStep, skippedByOperator } from './interruptedStep.js';
import {
  chooseBranch,
  finishRunOverRollback,
  resumeRollback,
  runRollbackProcedure,
  type RollbackResult,
} from './rollbackProcedure.js';
import { interruptedByOperator, stoppedBeforeStep, type RunControls } from './runControls.js';
import { unfinishedRollback, warnedSteps } from './stateQueries.js';
import { executeStep, failureMessage, type StepRunDeps } from './stepExecutor.js';

export type { InterruptedStepDecision } from './interruptedStep.js';

export type PhaseRunOptions = RunControls;

/**
 * Runs the phases in order from where the log says the run is: finished steps
 * are not repeated; on_fail decides what a failure does. A run killed during its
 * rollback goes on with that rollback instead, and ends over it. Returns the error
 * that ended the run early (undefined when every phase passed).
 */
export async function executePhases(
  phases: readonly ChecklistPhase[],
  deps: StepRunDeps,
  options: PhaseRunOptions,
): Promise<Error | undefined> {
  const { journal } = deps;
  // Never back into the phases: the failed step would run again (it is not Running, so even a
  // non-idempotent one without asking) and, if it passed, the run would go on half rolled back.
  const unfinished = unfinishedRollback(journal.state);
  if (unfinished) return endWithRollback(await resumeRollback(unfinished, deps, options), deps);
  for (const phase of phases) {
    const done = journal.state.phaseStatus[phase.id];
    if (done === 'passed' || done === 'passed_with_warnings') continue;
    if (journal.state.phaseStatus[phase.id] !== 'in_progress')
      await journal.record({ type: 'phase_started', phaseId: phase.id });

    for (const step of phase.steps) {
      const previous = journal.state.steps.find((s) => s.id === step.id);
      if (previous && (previous.status === 'Success' || previous.status === 'Skipped' || previous.action === 'warn'))
        continue;
      const stopped = await stoppedBeforeStep(step, deps, options);
      if (stopped) return stopped;
      if (await skippedByOperator(step, phase.id, deps, options)) continue;
      if (previous?.status === 'Running') {
        const verdict = await settleInterruptedStep(step, phase.id, deps, options);
        if (verdict === 'skipped') continue;
        if (verdict !== 'run') return verdict;
      }

      const result = await executeStep(step, phase.id, deps);
      if (result.kind === 'interrupted') return interruptedByOperator(step, 'during', deps, options);
      if (result.kind === 'awaiting_approval') {
        await journal.record({ type: 'awaiting_approval', stepId: step.id, message: result.error.message });
        await journal.record({
          type: 'run_stopped',
          reason: 'awaiting_approval',
          message: result.error.message,
          stepId: step.id,
        });
        return result.error;
      }
      if (result.status === 'passed') continue;

      const message = failureMessage(step, result);
      if (traitsOfStep(deps.registry, step).rejectsRun) {
        await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'failed' });
        await journal.record({ type: 'run_finished', status: 'rejected', message });
        return new CheckFailedError(message, { code: 'rejected' });
      }
      if (step.onFail === 'warn') continue;
      await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'failed' });
      if (step.onFail === 'stop') {
        await journal.record({ type: 'run_finished', status: 'failed', message });
        return new CheckFailedError(message, { code: 'step_failed' });
      }
      const branch = chooseBranch(step, result.kind === 'finished' ? result.outcome : undefined);
      return endWithRollback(await runRollbackProcedure(branch, message, step.id, deps, options), deps);
    }
    await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'passed' });
  }
  const warned = warnedSteps(journal.state);
  // run_finished says passed (every step ran); the fold reads warned steps as PASSED WITH WARNINGS.
  const message =
    warned.length === 0
      ? `every step of ${phases.length} phase(s) passed`
      : `${phases.length} phase(s) ran to the end, but ${warned.length} step(s) failed under on_fail: warn: ${warned.map((s) => s.id).join(', ')}`;
  await journal.record({ type: 'run_finished', status: 'passed', message });
  return undefined;
}

/** The run ends over its rollback, or stops at an interrupted rollback step that needs a decision (exit 6). */
async function endWithRollback(rollback: RollbackResult | Error, deps: StepRunDeps): Promise<Error> {
  if (rollback instanceof Error) return rollback;
  const failedToRollBack = await finishRunOverRollback(rollback, deps);
  if (failedToRollBack) return failedToRollBack;
  // The rollback's message already says what triggered it.
  return new CheckFailedError(rollback.message, { code: rollback.status === 'rolled_back' ? 'rolled_back' : 'failed' });
}
