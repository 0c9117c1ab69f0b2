import { CheckFailedError, LockHeldError } from '../errors.js';
import type { ChecklistPhase, ChecklistStep } from '../checklist/types.js';
import { InterruptedStepError, RollbackFailedError, RunInterruptedError } from './errors.js';
import { chooseBranch, runRollbackProcedure } from './rollbackProcedure.js';
import { stepTraits } from '../steps/traits.js';
import { executeStep, failureMessage, type StepRunDeps } from './stepExecutor.js';

/** What the operator decides about a non-idempotent step that was interrupted mid-way. */
export type InterruptedStepDecision = 'retry' | 'skip' | 'stop';

export interface PhaseRunOptions {
  readonly retryStep?: string;
  readonly skipSteps?: readonly string[];
  /** Who passed --skip-step (recorded with the skip). */
  readonly operator: string;
  /** On a TTY the CLI asks; without it the run stops and tells how to decide. */
  readonly askOperator?: (step: ChecklistStep) => Promise<InterruptedStepDecision>;
  /** Asked before every step: undefined while the run holds its lease, else the sentence saying who took it. */
  readonly leaseLost: () => Promise<string | undefined>;
}

/**
 * Runs the phases in order from where the log says the run is: finished steps
 * are not repeated; on_fail decides what a failure does. Returns the error that
 * ended the run early (undefined when every phase passed).
 */
export async function executePhases(
  phases: readonly ChecklistPhase[],
  deps: StepRunDeps,
  options: PhaseRunOptions,
): Promise<Error | undefined> {
  const { journal } = deps;
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
      if (options.skipSteps?.includes(step.id)) {
        await journal.record({ type: 'step_skipped', stepId: step.id, phaseId: phase.id, reason: 'skipped with --skip-step', by: options.operator });
        continue;
      }
      if (previous?.status === 'Running' && !isIdempotent(step, deps) && options.retryStep !== step.id) {
        const decision = options.askOperator ? await options.askOperator(step) : 'stop';
        if (decision === 'skip') {
          await journal.record({ type: 'step_skipped', stepId: step.id, phaseId: phase.id, reason: 'interrupted; checked by hand and skipped', by: options.operator });
          continue;
        }
        if (decision === 'stop') {
          const error = new InterruptedStepError(step.id, step.title, journal.runId);
          await stop(deps, 'interrupted_step', error.message, step.id);
          return error;
        }
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
      if (step.kind === 'approval') {
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
      return rollBack(step, message, result.kind === 'finished' ? result.outcome : undefined, deps);
    }
    await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'passed' });
  }
  await journal.record({ type: 'run_finished', status: 'passed', message: `every step of ${phases.length} phase(s) passed` });
  return undefined;
}

async function rollBack(
  step: ChecklistStep,
  message: string,
  outcome: Parameters<typeof chooseBranch>[1],
  deps: StepRunDeps,
): Promise<Error> {
  const rollback = await runRollbackProcedure(chooseBranch(step, outcome), message, step.id, deps);
  if (rollback.status === 'failed') {
    await deps.journal.record({ type: 'run_finished', status: 'rollback_failed', message: rollback.message });
    return new RollbackFailedError(rollback.message, { detail: `the rollback started because ${message}` });
  }
  const status = rollback.status === 'rolled_back' ? 'rolled_back' : 'failed';
  await deps.journal.record({ type: 'run_finished', status, message: rollback.message });
  // The rollback's message already says what triggered it.
  return new CheckFailedError(rollback.message, { code: status });
}

/** Safe to run again after an interrupted attempt: the kind's trait, as this step's own fields set it. */
function isIdempotent(step: ChecklistStep, deps: StepRunDeps): boolean {
  const kind = deps.registry.get(step.kind);
  return kind !== undefined && stepTraits(kind, step.spec).idempotent;
}

async function interruptedByOperator(deps: StepRunDeps, step: ChecklistStep, when: 'before' | 'during'): Promise<Error> {
  const message = `interrupted by the operator (Ctrl-C) ${when} step ${step.id} (${step.title})`;
  await deps.journal.record({ type: 'run_stopped', reason: 'interrupted', message, stepId: step.id });
  return new RunInterruptedError(message, deps.journal.runId);
}

async function stop(
  deps: StepRunDeps,
  reason: 'awaiting_approval' | 'interrupted_step' | 'lease_lost' | 'error',
  message: string,
  stepId: string,
): Promise<Error> {
  await deps.journal.record({ type: 'run_stopped', reason, message, stepId });
  return new CheckFailedError(message, { code: 'run_stopped' });
}
