import { UsageError } from '../errors.js';
import type { Checklist, RollbackBranch } from '../checklist/types.js';
import { defaultRegistry, type StepRegistry } from '../steps/registry.js';
import { openEnvironment, secretsOf } from './environment.js';
import { RollbackFailedError } from './errors.js';
import { createRunHistory } from './history.js';
import { RunJournal } from './journal.js';
import { acquireLease, currentHolder } from './lease.js';
import { runRollbackProcedure } from './rollbackProcedure.js';
import { silentRenderer, type RunRenderer } from './renderers/types.js';
import { loadRun, listRuns } from './runs.js';
import { closeRun, type RunResult } from './runner.js';

export interface ManualRollbackOptions {
  readonly checklist: Checklist;
  readonly stateDir: string;
  readonly runId: string;
  readonly branch: RollbackBranch;
  readonly reason?: string;
  readonly takeOver?: boolean;
  readonly renderer?: RunRenderer;
  readonly registry?: StepRegistry;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `shipcheck rollback RUN`: runs a branch of the rollback procedure now, on the
 * run's environment, recorded in that run's log (under the same lease as a run).
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
        const reason = options.reason ?? `manual rollback by ${currentHolder()}`;
        const result = await runRollbackProcedure(options.branch, reason, undefined, {
          journal,
          checklist: options.checklist,
          registry: options.registry ?? defaultRegistry,
          environment,
          history: createRunHistory(journal, options.checklist, await listRuns(options.stateDir)),
          secrets,
          signal: new AbortController().signal,
          env: options.env ?? process.env,
        });
        if (result.status === 'failed') {
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
