import { CheckFailedError, InterruptedError, LockHeldError, RollbackFailedError } from '../errors.js';
import type { ChecklistPhase, ChecklistStep } from '../checklist/types.js';
import { settleInterruptedStep, skippedByOperator, type InterruptedStepOptions } from './interruptedStep.js';
import { chooseBranch, resumeRollback, runRollbackProcedure, type RollbackResult } from './rollbackProcedure.js';
import { traitsOfStep } from '../steps/traits.js';
import { unfinishedRollback } from './state.js';
import { executeStep, failureMessage, type StepRunDeps } from './stepExecutor.js';

export type { InterruptedStepDecision } from './interruptedStep.js';

export interface PhaseRunOptions extends InterruptedStepOptions {
  /** Asked before every step: undefined while the run holds its lease, else the sentence saying who took it. */
  readonly leaseLost: () => Promise<string | undefined>;
}

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
    if (journal.state.phaseStatus[phase.id] === 'passed') continue;
    if (journal.state.phaseStatus[phase.id] !== 'in_progress') await journal.record({ type: 'phase_started', phaseId: phase.id });

    for (const step of phase.steps) {
      const previous = journal.state.steps.find((s) => s.id === step.id);
      if (previous && (previous.status === 'Success' || previous.status === 'Skipped' || previous.action === 'warn')) continue;
      if (deps.signal.aborted) return interruptedByOperator(deps, step, 'before');
      const leaseLost = await options.leaseLost();
      if (leaseLost !== undefined) {
        await stop(deps, 'lease_lost', leaseLost, step.id);
        return new LockHeldError(`${leaseLost}; this run stopped before its next step`, {
          hint: 'the run is in the new holder\'s hands now; shipcheck status shows where it stands',
        });
      }
      if (await skippedByOperator(step, phase.id, deps, options)) continue;
      if (previous?.status === 'Running') {
        const verdict = await settleInterruptedStep(step, phase.id, deps, options);
        if (verdict === 'skipped') continue;
        if (verdict !== 'run') return verdict;
      }

      const result = await executeStep(step, phase.id, deps);
      if (result.kind === 'interrupted') return interruptedByOperator(deps, step, 'during');
      if (result.kind === 'awaiting_approval') {
        await journal.record({ type: 'awaiting_approval', stepId: step.id, message: result.error.message });
        await stop(deps, 'awaiting_approval', result.error.message, step.id);
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
  await journal.record({ type: 'run_finished', status: 'passed', message: `every step of ${phases.length} phase(s) passed` });
  return undefined;
}

/** The run ends over its rollback, or stops at an interrupted rollback step that needs a decision (exit 6). */
async function endWithRollback(rollback: RollbackResult | Error, deps: StepRunDeps): Promise<Error> {
  if (rollback instanceof Error) return rollback;
  if (rollback.status === 'failed') {
    await deps.journal.record({ type: 'run_finished', status: 'rollback_failed', message: rollback.message });
    return new RollbackFailedError(rollback.message, { detail: `the rollback started because ${deps.journal.state.rollback?.reason ?? 'a step failed'}` });
  }
  const status = rollback.status === 'rolled_back' ? 'rolled_back' : 'failed';
  await deps.journal.record({ type: 'run_finished', status, message: rollback.message });
  // The rollback's message already says what triggered it.
  return new CheckFailedError(rollback.message, { code: status });
}

async function interruptedByOperator(deps: StepRunDeps, step: ChecklistStep, when: 'before' | 'during'): Promise<Error> {
  const message = `interrupted by the operator (Ctrl-C) ${when} step ${step.id} (${step.title})`;
  await deps.journal.record({ type: 'run_stopped', reason: 'interrupted', message, stepId: step.id });
  return InterruptedError.ofRun(message, deps.journal.runId);
}

async function stop(
  deps: StepRunDeps,
  reason: 'awaiting_approval' | 'lease_lost' | 'error',
  message: string,
  stepId: string,
): Promise<Error> {
  await deps.journal.record({ type: 'run_stopped', reason, message, stepId });
  return new CheckFailedError(message, { code: 'run_stopped' });
}
