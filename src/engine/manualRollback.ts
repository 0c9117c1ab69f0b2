import { UsageError } from '../errors.js';
import type { Checklist, RollbackBranch } from '../checklist/types.js';
import type { StepRegistry } from '../steps/registry.js';
import type { InterruptedStepOptions } from './interruptedStep.js';
import { currentHolder } from './lease.js';
import { branchOf, finishRunOverRollback, resumeRollback, runRollbackProcedure } from './rollbackProcedure.js';
import type { RunRenderer } from './renderers/types.js';
import type { RunControls } from './runControls.js';
import { listRuns, loadRun } from './runs.js';
import { withRunSession, type RunResult, type SessionRun } from './session.js';
import type { RunState } from './state.js';
import { unfinishedRollback, type UnfinishedRollback } from './stateQueries.js';

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
  /** Ctrl-C: the rollback stops before its next step (exit 130); `shipcheck rollback RUN` finishes it. */
  readonly signal?: AbortSignal;
  readonly lease?: { readonly ttlMs?: number; readonly heartbeatMs?: number };
}

/**
 * `shipcheck rollback RUN`: runs a branch of the rollback procedure now, on the
 * run's environment, recorded in that run's log, in a session like a run's (its
 * lease, Ctrl-C and a lost lease stop it between steps). A rollback of the run that
 * was left unfinished (killed, or stopped) is finished instead (steps done are not
 * repeated), never a second one started on top of it.
 */
export async function rollbackRun(options: ManualRollbackOptions): Promise<RunResult> {
  let unfinished: UnfinishedRollback | undefined;
  const find = async (): Promise<SessionRun> => {
    const run = await loadRun(options.stateDir, options.runId);
    unfinished = unfinishedRollbackOf(options, run.runId, run.state);
    return {
      runId: run.runId,
      environment: run.state.environment,
      phases: [],
      existing: run,
      runs: await listRuns(options.stateDir),
    };
  };
  return withRunSession({ ...options, find }, async (session) => {
    await session.recordStart({ type: 'run_resumed', checklistHash: options.checklist.fileHash });
    const controls: RunControls = {
      operator: currentHolder(),
      continueWith: `shipcheck rollback ${session.run.runId}`,
      leaseLost: session.leaseLost,
      ...(options.retryStep !== undefined && { retryStep: options.retryStep }),
      ...(options.skipSteps !== undefined && { skipSteps: options.skipSteps }),
      ...(options.askOperator !== undefined && { askOperator: options.askOperator }),
    };
    const reason = options.reason ?? `manual rollback by ${currentHolder()}`;
    const result = unfinished
      ? await resumeRollback(unfinished, session.deps, controls)
      : await runRollbackProcedure(options.branch ?? 'function_related', reason, undefined, session.deps, controls);
    return result instanceof Error ? result : finishRunOverRollback(result, session.deps);
  });
}

/** The run's rollback left unfinished, if any; refuses a run that cannot be rolled back, or a branch on top of another. */
function unfinishedRollbackOf(
  options: ManualRollbackOptions,
  runId: string,
  state: RunState,
): UnfinishedRollback | undefined {
  if (state.checklist !== options.checklist.name) {
    throw new UsageError(`run ${runId} belongs to checklist ${state.checklist}, not ${options.checklist.name}`);
  }
  if (state.rehearse)
    throw new UsageError(`run ${runId} is a rehearsal: it changed nothing, there is nothing to roll back`);
  const unfinished = unfinishedRollback(state);
  if (unfinished && options.branch !== undefined && options.branch !== branchOf(unfinished, options.checklist)) {
    const branch = branchOf(unfinished, options.checklist);
    throw new UsageError(
      `run ${runId} has an unfinished ${branch} rollback: a ${options.branch} rollback would start on top of it`,
      {
        code: 'rollback_unfinished',
        hint: `shipcheck rollback ${runId} (without --branch) finishes it; once it has ended, --branch ${options.branch} runs that branch`,
      },
    );
  }
  return unfinished;
}
