import type { ChecklistStep } from '../checklist/types.js';
import { stepTraits } from '../steps/traits.js';
import { InterruptedStepError } from '../errors.js';
import type { StepRunDeps } from './stepExecutor.js';

/** What the operator decides about a non-idempotent step that was interrupted mid-way. */
export type InterruptedStepDecision = 'retry' | 'skip' | 'stop';

/** How a resumed run learns the operator's decisions: --retry-step, --skip-step, the question on a TTY. */
export interface InterruptedStepOptions {
  readonly retryStep?: string;
  readonly skipSteps?: readonly string[];
  /** Who passed --skip-step or answered the question (recorded with the skip). */
  readonly operator: string;
  /** On a TTY the CLI asks; without it the run stops and tells how to decide. */
  readonly askOperator?: (step: ChecklistStep) => Promise<InterruptedStepDecision>;
  /** The command that goes on with the run, for the exit-6 hint (default `shipcheck resume RUN`). */
  readonly continueWith?: string;
}

/**
 * --skip-step ID: the operator says this step is done (checked by hand). Records the
 * skip with who said so and returns true; false when the step was not named.
 */
export async function skippedByOperator(
  step: ChecklistStep,
  phaseId: string,
  deps: StepRunDeps,
  options: InterruptedStepOptions,
): Promise<boolean> {
  if (!options.skipSteps?.includes(step.id)) return false;
  await deps.journal.record({
    type: 'step_skipped',
    stepId: step.id,
    phaseId,
    reason: 'skipped with --skip-step',
    by: options.operator,
  });
  return true;
}

/**
 * A step the run log shows started and not finished, found by a resume: an
 * idempotent kind (or --retry-step) runs again; otherwise the operator decides,
 * and without one the run stops (exit 6). Phase steps and rollback steps alike.
 * `skipped` and the stop are recorded here; `run` records nothing.
 *
 * @example
 * const verdict = await settleInterruptedStep(step, 'deploy', deps, { operator: 'ana@host' });
 * if (verdict instanceof Error) return verdict;
 */
export async function settleInterruptedStep(
  step: ChecklistStep,
  phaseId: string,
  deps: StepRunDeps,
  options: InterruptedStepOptions,
): Promise<'run' | 'skipped' | InterruptedStepError> {
  const { journal } = deps;
  if (isIdempotent(step, deps) || options.retryStep === step.id) return 'run';
  const decision = options.askOperator ? await options.askOperator(step) : 'stop';
  if (decision === 'retry') return 'run';
  if (decision === 'skip') {
    await journal.record({
      type: 'step_skipped',
      stepId: step.id,
      phaseId,
      reason: 'interrupted; checked by hand and skipped',
      by: options.operator,
    });
    return 'skipped';
  }
  const error = new InterruptedStepError(step.id, step.title, journal.runId, options.continueWith);
  await journal.record({ type: 'run_stopped', reason: 'interrupted_step', message: error.message, stepId: step.id });
  return error;
}

/** Safe to run again after an interrupted attempt: the kind's trait, as this step's own fields set it. */
function isIdempotent(step: ChecklistStep, deps: StepRunDeps): boolean {
  const kind = deps.registry.get(step.kind);
  return kind !== undefined && stepTraits(kind, step.spec).idempotent;
}
