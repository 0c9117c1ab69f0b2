import type { ChecklistStep } from '../checklist/types.js';
import { InterruptedError, LockHeldError } from '../errors.js';
import type { InterruptedStepOptions } from './interruptedStep.js';
import type { StepRunDeps } from './stepExecutor.js';

/** What a session hands the steps it runs, phases and rollback alike: the operator's decisions and the lease check. */
export interface RunControls extends InterruptedStepOptions {
  /** Asked before every step: undefined while the session holds its lease, else the sentence saying who took it. */
  readonly leaseLost: () => Promise<string | undefined>;
}

/**
 * Asked before every step of a run or of its rollback: Ctrl-C (exit 130) or a lost lease
 * (exit 4) stops the session here, recorded as run_stopped, and the run stays resumable.
 * Undefined when the step may start.
 */
export async function stoppedBeforeStep(
  step: ChecklistStep,
  deps: StepRunDeps,
  controls: RunControls,
): Promise<Error | undefined> {
  if (deps.signal.aborted) return interruptedByOperator(step, 'before', deps, controls);
  const leaseLost = await controls.leaseLost();
  if (leaseLost === undefined) return undefined;
  await deps.journal.record({ type: 'run_stopped', reason: 'lease_lost', message: leaseLost, stepId: step.id });
  return new LockHeldError(`${leaseLost}; this run stopped before its next step`, {
    hint: "the run is in the new holder's hands now; shipcheck status shows where it stands",
  });
}

/**
 * Ctrl-C, before `step` started or during it (the step was cut short and stays started-and-not-finished,
 * so a resume runs it again, or asks first for a kind that is not idempotent).
 */
export async function interruptedByOperator(
  step: ChecklistStep,
  when: 'before' | 'during',
  deps: StepRunDeps,
  controls: Pick<RunControls, 'continueWith'>,
): Promise<InterruptedError> {
  const message = `interrupted by the operator (Ctrl-C) ${when} step ${step.id} (${step.title})`;
  await deps.journal.record({ type: 'run_stopped', reason: 'interrupted', message, stepId: step.id });
  return InterruptedError.ofRun(message, deps.journal.runId, controls.continueWith);
}
