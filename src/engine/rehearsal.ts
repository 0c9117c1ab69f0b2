import { withAdvisoryLock } from '../db/advisoryLock.js';
import { CheckFailedError } from '../errors.js';
import type { ChecklistPhase, ChecklistStep } from '../checklist/types.js';
import { executeStep, failureMessage, runLockName, type StepRunDeps } from './stepExecutor.js';

/**
 * `run --rehearse`: the rehearsable steps (migrate, contract, rpc, sql, …) and
 * then the function_related rollback branch, all inside ONE transaction on one
 * connection that is rolled back at the end, so the target is unchanged. Steps
 * that cannot be rehearsed (backups, approvals, commands) are logged as skipped.
 */
export async function rehearse(phases: readonly ChecklistPhase[], deps: StepRunDeps): Promise<Error | undefined> {
  const { journal, checklist, environment } = deps;
  const failure = await withAdvisoryLock(environment.db, runLockName(checklist, environment.name), async (client) => {
    await client.query('begin');
    try {
      const run = (step: ChecklistStep, phaseId: string) => executeStep(step, phaseId, { ...deps, rehearsalClient: client });
      for (const phase of phases) {
        await journal.record({ type: 'phase_started', phaseId: phase.id });
        for (const step of phase.steps) {
          if (!deps.registry.get(step.kind)?.rehearsable) {
            await journal.record({ type: 'step_skipped', stepId: step.id, phaseId: phase.id, reason: `not rehearsed: ${step.kind} steps run only for real` });
            continue;
          }
          const result = await run(step, phase.id);
          if (result.kind === 'finished' && (result.status === 'passed' || step.onFail === 'warn')) continue;
          await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'failed' });
          return failureMessage(step, result);
        }
        await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'passed' });
      }
      // "Rollback plan tested (dry-run)": the drop-and-verify branch, in the same transaction.
      const branch = 'function_related';
      await journal.record({ type: 'rollback_started', branch, reason: 'rehearsal of the rollback procedure' });
      for (const step of checklist.rollback[branch]) {
        const phaseId = `rollback:${branch}`;
        if (!deps.registry.get(step.kind)?.rehearsable) {
          await journal.record({ type: 'step_skipped', stepId: step.id, phaseId, reason: `not rehearsed: ${step.kind} steps run only for real` });
          continue;
        }
        const result = await run(step, phaseId);
        if (result.kind === 'finished' && result.status === 'passed') continue;
        await journal.record({ type: 'rollback_finished', branch, status: 'failed' });
        return `rollback rehearsal: ${failureMessage(step, result)}`;
      }
      await journal.record({ type: 'rollback_finished', branch, status: 'rolled_back' });
      return undefined;
    } finally {
      await client.query('rollback');
    }
  });
  const suffix = 'the rehearsal transaction was rolled back; the target is unchanged';
  if (failure) {
    await journal.record({ type: 'run_finished', status: 'failed', message: `${failure}; ${suffix}` });
    return new CheckFailedError(`rehearsal failed: ${failure}`, { code: 'rehearsal_failed', hint: suffix });
  }
  await journal.record({ type: 'run_finished', status: 'passed', message: `rehearsal passed; ${suffix}` });
  return undefined;
}
