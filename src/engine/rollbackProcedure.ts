import type { Checklist, ChecklistStep, RollbackBranch } from '../checklist/types.js';
import type { StepOutcome } from '../steps/types.js';
import { RollbackFailedError } from '../errors.js';
import { settleInterruptedStep, skippedByOperator } from './interruptedStep.js';
import { interruptedByOperator, stoppedBeforeStep, type RunControls } from './runControls.js';
import type { RollbackState, StepState } from './state.js';
import type { UnfinishedRollback } from './stateQueries.js';
import { executeStep, failureMessage, type StepRunDeps, type StepRunResult } from './stepExecutor.js';

export type RollbackResult = { readonly status: 'rolled_back' | 'failed' | 'monitoring'; readonly message: string };

/**
 * The seed's decision tree: data corruption → restore then drop; anything else
 * the failing step points at → drop the function and verify the removal. The
 * step's own report (outcome.rollbackBranch) wins over the checklist's field.
 */
export function chooseBranch(
  step: Pick<ChecklistStep, 'rollbackBranch'>,
  outcome: StepOutcome | undefined,
): RollbackBranch {
  if (outcome?.rollbackBranch === 'data_corruption') return 'data_corruption';
  return step.rollbackBranch ?? outcome?.rollbackBranch ?? 'function_related';
}

/**
 * Runs one branch of the rollback procedure, every step recorded in the run log
 * under phase `rollback:<branch>`. The first failing step stops it: the result
 * is then `failed` (manual repair needed), never a silent partial rollback.
 */
export async function runRollbackProcedure(
  branch: RollbackBranch,
  reason: string,
  triggeredBy: string | undefined,
  deps: StepRunDeps,
  decisions: RunControls,
): Promise<RollbackResult | Error> {
  await deps.journal.record({
    type: 'rollback_started',
    branch,
    reason,
    ...(triggeredBy !== undefined && { triggeredBy }),
  });
  return continueRollback(deps, decisions);
}

/**
 * The run ends over its rollback, in run_finished; a rollback that failed is a
 * RollbackFailedError (exit 7) that says why it started. Undefined otherwise.
 */
export async function finishRunOverRollback(
  rollback: RollbackResult,
  deps: StepRunDeps,
): Promise<RollbackFailedError | undefined> {
  if (rollback.status === 'failed') {
    await deps.journal.record({ type: 'run_finished', status: 'rollback_failed', message: rollback.message });
    return new RollbackFailedError(rollback.message, {
      detail: `the rollback started because ${deps.journal.state.rollback?.reason ?? 'a step failed'}`,
    });
  }
  await deps.journal.record({
    type: 'run_finished',
    status: rollback.status === 'rolled_back' ? 'rolled_back' : 'failed',
    message: rollback.message,
  });
  return undefined;
}

/**
 * Finishes the rollback a killed process left unfinished (see `unfinishedRollback`):
 * starts the one on_fail had decided, or goes on with the one the log shows started.
 * The failed step that triggered it is never run again.
 *
 * @example
 * const unfinished = unfinishedRollback(journal.state);
 * if (unfinished) result = await resumeRollback(unfinished, deps, { operator: 'ana@host' });
 */
export async function resumeRollback(
  unfinished: UnfinishedRollback,
  deps: StepRunDeps,
  decisions: RunControls,
): Promise<RollbackResult | Error> {
  if (unfinished.started) return continueRollback(deps, decisions);
  const { failedStep } = unfinished;
  // Killed before phase_finished too: the uninterrupted run records it before rollback_started.
  if (deps.journal.state.phaseStatus[failedStep.phaseId] === 'in_progress') {
    await deps.journal.record({ type: 'phase_finished', phaseId: failedStep.phaseId, status: 'failed' });
  }
  const decided = decidedRollback(failedStep, deps.checklist);
  return runRollbackProcedure(decided.branch, decided.reason, failedStep.id, deps, decisions);
}

/** The branch and reason on_fail chose for a failed step, rebuilt from the run log as the uninterrupted run chose them. */
export function decidedRollback(
  failedStep: StepState,
  checklist: Checklist,
): { branch: RollbackBranch; reason: string } {
  const step = checklist.phases.flatMap((p) => p.steps).find((s) => s.id === failedStep.id);
  const why = failedStep.outcome?.message ?? failedStep.error?.message ?? 'failed';
  return {
    branch: chooseBranch(step ?? { rollbackBranch: undefined }, failedStep.outcome),
    reason: step
      ? failureMessage(step, recordedResult(failedStep))
      : `step ${failedStep.id} (${failedStep.title}) failed: ${why}`,
  };
}

/** The branch a rollback a resume would finish runs. */
export function branchOf(unfinished: UnfinishedRollback, checklist: Checklist): RollbackBranch {
  return unfinished.started ? unfinished.rollback.branch : decidedRollback(unfinished.failedStep, checklist).branch;
}

/**
 * Runs the steps of the run's rollback in progress that the log does not show
 * done since it started: passed or skipped ones are not repeated, one started and
 * not finished follows the interrupted-step rules, the rest run in order.
 */
async function continueRollback(deps: StepRunDeps, decisions: RunControls): Promise<RollbackResult | Error> {
  const { journal, checklist } = deps;
  const rollback = journal.state.rollback;
  if (!rollback) throw new Error('continueRollback: the run log has no rollback_started');
  const { branch } = rollback;
  // rollback_finished is in the log; only the run's end is missing.
  if (rollback.status !== 'running') return endOf(rollback, deps);
  const phaseId = `rollback:${branch}`;
  const fail = async (message: string): Promise<RollbackResult> => {
    await journal.record({ type: 'rollback_finished', branch, status: 'failed' });
    return { status: 'failed', message };
  };

  for (const step of checklist.rollback[branch]) {
    const recorded = rollback.steps.includes(step.id) ? journal.state.steps.find((s) => s.id === step.id) : undefined;
    if (recorded?.status === 'Success' || recorded?.status === 'Skipped') continue;
    // It failed and the process died before rollback_finished: the rollback failed.
    if (recorded?.status === 'Error') return fail(failureMessage(step, recordedResult(recorded)));
    // Ctrl-C and a lost lease stop a rollback between its steps as they stop the phases: the
    // rollback stays running in the log, and `shipcheck rollback RUN` (or a resume) finishes it.
    const stopped = await stoppedBeforeStep(step, deps, decisions);
    if (stopped) return stopped;
    if (recorded?.status === 'Running') {
      if (await skippedByOperator(step, phaseId, deps, decisions)) continue;
      const verdict = await settleInterruptedStep(step, phaseId, deps, decisions);
      if (verdict === 'skipped') continue;
      if (verdict !== 'run') return verdict;
    }
    const result = await executeStep(step, phaseId, deps);
    if (result.kind === 'interrupted') return interruptedByOperator(step, 'during', deps, decisions);
    if (result.kind === 'finished' && result.status === 'passed') continue;
    return fail(failureMessage(step, result));
  }
  const status = branch === 'keep_monitoring' ? 'monitoring' : 'rolled_back';
  await journal.record({ type: 'rollback_finished', branch, status });
  return { status, message: endMessage(branch, status, rollback.reason) };
}

function endMessage(branch: RollbackBranch, status: 'rolled_back' | 'monitoring', reason: string): string {
  return status === 'rolled_back'
    ? `rolled back (${branch.replace('_', ' ')} branch) after: ${reason}`
    : `nothing rolled back; keep monitoring and decide by impact (${reason})`;
}

/** The result of a rollback whose rollback_finished is already in the log. */
function endOf(rollback: RollbackState, deps: StepRunDeps): RollbackResult {
  if (rollback.status === 'rolled_back' || rollback.status === 'monitoring') {
    return { status: rollback.status, message: endMessage(rollback.branch, rollback.status, rollback.reason) };
  }
  const stepsById = new Map(deps.journal.state.steps.map((s) => [s.id, s]));
  for (const step of deps.checklist.rollback[rollback.branch]) {
    const recorded = rollback.steps.includes(step.id) ? stepsById.get(step.id) : undefined;
    if (recorded?.status === 'Error')
      return { status: 'failed', message: failureMessage(step, recordedResult(recorded)) };
    // Cut short by Ctrl-C: it never finished.
    if (recorded?.status === 'Running')
      return { status: 'failed', message: failureMessage(step, { kind: 'interrupted' }) };
  }
  return { status: 'failed', message: `the ${rollback.branch.replace('_', ' ')} rollback failed` };
}

function recordedResult(step: StepState): StepRunResult {
  return {
    kind: 'finished',
    status: 'failed',
    ...(step.outcome && { outcome: step.outcome }),
    ...(step.error && { error: step.error }),
  };
}
