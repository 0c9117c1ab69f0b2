import type { ChecklistStep, RollbackBranch } from '../checklist/types.js';
import type { StepOutcome } from '../steps/types.js';
import { executeStep, failureMessage, type StepRunDeps } from './stepExecutor.js';

export type RollbackResult = { readonly status: 'rolled_back' | 'failed' | 'monitoring'; readonly message: string };

/**
 * The seed's decision tree: data corruption → restore then drop; anything else
 * the failing step points at → drop the function and verify the removal. The
 * step's own report (outcome.rollbackBranch) wins over the checklist's field.
 */
export function chooseBranch(step: ChecklistStep, outcome: StepOutcome | undefined): RollbackBranch {
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
): Promise<RollbackResult> {
  const { journal, checklist } = deps;
  await journal.record({ type: 'rollback_started', branch, reason, ...(triggeredBy !== undefined && { triggeredBy }) });
  for (const step of checklist.rollback[branch]) {
    const result = await executeStep(step, `rollback:${branch}`, deps);
    if (result.kind === 'finished' && result.status === 'passed') continue;
    const message = failureMessage(step, result);
    await journal.record({ type: 'rollback_finished', branch, status: 'failed' });
    return { status: 'failed', message };
  }
  const status = branch === 'keep_monitoring' ? 'monitoring' : 'rolled_back';
  await journal.record({ type: 'rollback_finished', branch, status });
  return {
    status,
    message:
      status === 'rolled_back'
        ? `rolled back (${branch.replace('_', ' ')} branch) after: ${reason}`
        : `nothing rolled back; keep monitoring and decide by impact (${reason})`,
  };
}
