import { UsageError } from '../errors.js';
import type { Checklist, RollbackBranch } from '../checklist/types.js';
import { defaultRegistry, type StepRegistry } from '../steps/registry.js';
import { openEnvironment, secretsOf } from './environment.js';
import { RollbackFailedError } from './errors.js';
import { createRunHistory } from './history.js';
import type { InterruptedStepOptions } from './interruptedStep.js';
import { RunJournal } from './journal.js';
import { clearCrashLeftovers } from './crashLeftovers.js';
import { acquireLease, currentHolder } from './lease.js';
import { branchOf, resumeRollback, runRollbackProcedure } from './rollbackProcedure.js';
import { silentRenderer, type RunRenderer } from './renderers/types.js';
import { loadRun, listRuns } from './runs.js';
import { closeRun, type RunResult } from './runner.js';
import { unfinishedRollback } from './state.js';
import type { StepRunDeps } from './stepExecutor.js';

export interface ManualRollbackOptions {
  readonly checklist: Checklist;
  readonly stateDir: string;
  readonly runId: string;
  /** Default: the branch of the run's unfinished rollback, or else function_related. */
  readonly branch?: RollbackBranch;
  readonly reason?: string;
  readonly takeOver?: boolean;
  /** For a rollback step a killed process left unfinished, as for `run`. */
  readonly retryStep?: string;
  readonly skipSteps?: readonly string[];
  readonly askOperator?: InterruptedStepOptions['askOperator'];
  readonly renderer?: RunRenderer;
  readonly registry?: StepRegistry;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `shipcheck rollback RUN`: runs a branch of the rollback procedure now, on the
 * run's environment, recorded in that run's log (under the same lease as a run).
 * A rollback of the run that a killed process left unfinished is finished instead
 * (steps done are not repeated), never a second one started on top of it.
 */
export async function rollbackRun(options: ManualRollbackOptions): Promise<RunResult> {
  const renderer = options.renderer ?? silentRenderer;
  let journal: RunJournal | undefined;
  let error: unknown;
  try {
    const run = await loadRun(options.stateDir, options.runId);
    if (run.state.checklist !== options.checklist.name) {
      throw new UsageError(`run ${run.runId} belongs to checklist ${run.state.checklist}, not ${options.checklist.name}`);
    }
    if (run.state.rehearse) throw new UsageError(`run ${run.runId} is a rehearsal: it changed nothing, there is nothing to roll back`);
    const unfinished = unfinishedRollback(run.state);
    if (unfinished && options.branch !== undefined && options.branch !== branchOf(unfinished, options.checklist)) {
      const branch = branchOf(unfinished, options.checklist);
      throw new UsageError(`run ${run.runId} has an unfinished ${branch} rollback: a ${options.branch} rollback would start on top of it`, {
        code: 'rollback_unfinished',
        hint: `shipcheck rollback ${run.runId} (without --branch) finishes it; once it has ended, --branch ${options.branch} runs that branch`,
      });
    }
    const environment = openEnvironment(options.checklist, run.state.environment, options.env ?? process.env);
    try {
      const lease = await acquireLease({
        stateDir: options.stateDir,
        name: `${options.checklist.name}.${run.state.environment}`,
        runId: run.runId,
        ...(options.takeOver !== undefined && { takeOver: options.takeOver }),
      });
      try {
        const secrets = secretsOf(environment.connectionString);
        journal = RunJournal.resume(run.runId, run.dir, run.events, renderer, secrets);
        renderer.start({ checklist: options.checklist, runId: run.runId, environment: run.state.environment, phases: [], rehearse: false });
        await journal.record({ type: 'run_resumed', holder: lease.record.holder, checklistHash: options.checklist.fileHash });
        await clearCrashLeftovers(journal);
        const deps: StepRunDeps = {
          journal,
          checklist: options.checklist,
          registry: options.registry ?? defaultRegistry,
          environment,
          history: createRunHistory(journal, options.checklist, await listRuns(options.stateDir)),
          secrets,
          signal: new AbortController().signal,
          env: options.env ?? process.env,
        };
        const decisions: InterruptedStepOptions = {
          operator: currentHolder(),
          continueWith: `shipcheck rollback ${run.runId}`,
          ...(options.retryStep !== undefined && { retryStep: options.retryStep }),
          ...(options.skipSteps !== undefined && { skipSteps: options.skipSteps }),
          ...(options.askOperator !== undefined && { askOperator: options.askOperator }),
        };
        const reason = options.reason ?? `manual rollback by ${currentHolder()}`;
        const result = unfinished
          ? await resumeRollback(unfinished, deps, decisions)
          : await runRollbackProcedure(options.branch ?? 'function_related', reason, undefined, deps, decisions);
        if (result instanceof Error) {
          error = result;
        } else if (result.status === 'failed') {
          await journal.record({ type: 'run_finished', status: 'rollback_failed', message: result.message });
          error = new RollbackFailedError(result.message);
        } else {
          await journal.record({ type: 'run_finished', status: result.status === 'rolled_back' ? 'rolled_back' : 'failed', message: result.message });
        }
      } finally {
        await lease.release();
      }
    } finally {
      await environment.db.close();
    }
  } catch (caught) {
    error = caught;
  }
  return closeRun(renderer, journal, [], error);
}
