import { UsageError } from '../errors.js';
import { allSteps, type Checklist, type ChecklistPhase } from '../checklist/types.js';
import type { StepRegistry } from '../steps/registry.js';
import { currentHolder } from './lease.js';
import { executePhases, type PhaseRunOptions } from './phases.js';
import { rehearse } from './rehearsal.js';
import type { RunRenderer } from './renderers/types.js';
import { newRunId } from './runId.js';
import { findResumable, listRuns, type StoredRun } from './runs.js';
import { withRunSession, type RunResult, type RunSession, type SessionRun } from './session.js';
import type { RunState } from './state.js';
import { isFinished } from './stateQueries.js';

export type { RunResult, StepResult } from './session.js';

export interface RunOptions {
  readonly checklist: Checklist;
  readonly environment: string;
  /** Where runs and leases live (default ./.shipcheck at the CLI). */
  readonly stateDir: string;
  /** Run only this phase (it must belong to the environment). */
  readonly phase?: string;
  readonly rehearse?: boolean;
  /** Run this interrupted non-idempotent step again. */
  readonly retryStep?: string;
  /** Record these steps as skipped (checked by hand) instead of running them. */
  readonly skipSteps?: readonly string[];
  /** Take over a stale lease (expired, or a dead process on this host). */
  readonly takeOver?: boolean;
  /** Continue a run even though steps it already started were edited in the checklist since. */
  readonly acceptChanges?: boolean;
  /** Continue this run (shipcheck resume); default: the latest unfinished run of checklist + environment. */
  readonly runId?: string;
  readonly renderer?: RunRenderer;
  readonly registry?: StepRegistry;
  readonly env?: NodeJS.ProcessEnv;
  readonly askOperator?: PhaseRunOptions['askOperator'];
  readonly signal?: AbortSignal;
  readonly lease?: { readonly ttlMs?: number; readonly heartbeatMs?: number };
}

/**
 * Runs (or resumes) a checklist on one environment. Never throws halfway: like
 * kysely's Migrator it returns `{ error?, results[] }` with a status per step.
 *
 * @example
 * const { error, results } = await runChecklist({ checklist, environment: 'staging', stateDir: '.shipcheck' });
 */
export async function runChecklist(options: RunOptions): Promise<RunResult> {
  return withRunSession({ ...options, find: () => findRun(options) }, async (session) => {
    await recordStart(session, options);
    if (options.rehearse) return rehearse(session.run.phases, session.deps);
    return executePhases(session.run.phases, session.deps, {
      ...(options.retryStep !== undefined && { retryStep: options.retryStep }),
      ...(options.skipSteps !== undefined && { skipSteps: options.skipSteps }),
      ...(options.askOperator !== undefined && { askOperator: options.askOperator }),
      operator: currentHolder(),
      leaseLost: session.leaseLost,
    });
  });
}

/** The run to continue (checked against the checklist as it is now), or a new one. */
async function findRun(options: RunOptions): Promise<SessionRun> {
  const runs = await listRuns(options.stateDir);
  const existing = pickExistingRun(options, runs);
  const phases = selectPhases(
    options.checklist,
    options.environment,
    existing ? existing.state.phaseFilter : options.phase,
  );
  if (existing) assertUnchanged(options, existing.state);
  return {
    runId: existing?.runId ?? newRunId(options.environment),
    environment: options.environment,
    phases,
    rehearse: options.rehearse ?? false,
    ...(existing && { existing }),
    runs,
  };
}

function pickExistingRun(options: RunOptions, runs: readonly StoredRun[]): StoredRun | undefined {
  if (options.runId !== undefined) {
    const run = runs.find((r) => r.runId === options.runId);
    if (!run) throw new UsageError(`no run "${options.runId}" in ${options.stateDir}`);
    if (run.state.checklist !== options.checklist.name || run.state.environment !== options.environment) {
      throw new UsageError(`run ${run.runId} belongs to ${run.state.checklist} on ${run.state.environment}`);
    }
    if (isFinished(run.state)) {
      throw new UsageError(`run ${run.runId} already ended (${run.state.status}); shipcheck run starts a new one`);
    }
    // Continuing one would run its remaining steps for real: its transaction is gone.
    if (run.state.rehearse) {
      throw new UsageError(
        `run ${run.runId} is a rehearsal, rolled back when it stopped: there is nothing to continue`,
        {
          hint: 'shipcheck run --rehearse starts a new rehearsal',
        },
      );
    }
    return run;
  }
  if (options.rehearse) return undefined;
  return findResumable(runs, options.checklist.name, options.environment, options.phase);
}

export function selectPhases(checklist: Checklist, environment: string, phase: string | undefined): ChecklistPhase[] {
  if (!checklist.environments[environment]) {
    throw new UsageError(
      `checklist ${checklist.name} has no environment "${environment}" (declared: ${Object.keys(checklist.environments).join(', ')})`,
    );
  }
  const phases = checklist.phases.filter((p) => p.environment === environment);
  if (phase === undefined) {
    if (phases.length === 0) throw new UsageError(`checklist ${checklist.name} has no phase on ${environment}`);
    return phases;
  }
  const chosen = phases.find((p) => p.id === phase);
  if (!chosen) {
    throw new UsageError(
      `no phase "${phase}" on ${environment} (phases there: ${phases.map((p) => p.id).join(', ') || 'none'})`,
    );
  }
  return [chosen];
}

/** Steps the run already started must be the same as in the file now, unless the operator accepts the edit. */
function assertUnchanged(options: RunOptions, state: RunState): void {
  const current = new Map(allSteps(options.checklist).map((s) => [s.id, s.hash]));
  const changed = state.steps.filter((s) => s.hash !== undefined && current.get(s.id) !== s.hash).map((s) => s.id);
  if (changed.length > 0 && !options.acceptChanges) {
    throw new UsageError(
      `the checklist changed since run ${state.runId} started: step(s) ${changed.join(', ')} were edited or removed`,
      {
        code: 'checklist_changed',
        hint: 'undo the edit, or pass --accept-changes to continue this run with the edited checklist',
      },
    );
  }
}

async function recordStart(session: RunSession, options: RunOptions): Promise<void> {
  const { checklist } = options;
  const { journal, run } = session;
  if (run.existing) {
    const current = new Map(allSteps(checklist).map((s) => [s.id, s.hash]));
    const accepted = run.existing.state.steps
      .filter((s) => s.hash !== undefined && current.get(s.id) !== s.hash)
      .map((s) => s.id);
    await session.recordStart({
      type: 'run_resumed',
      checklistHash: checklist.fileHash,
      ...(accepted.length > 0 && { acceptedChanges: accepted }),
    });
  } else {
    await session.recordStart({
      type: 'run_started',
      runId: journal.runId,
      checklist: checklist.name,
      checklistFile: checklist.file,
      checklistHash: checklist.fileHash,
      environment: session.environment.name,
      target: session.environment.label,
      rehearse: options.rehearse ?? false,
      ...(options.phase !== undefined && { phaseFilter: options.phase }),
      phases: checklist.phases.map((p) => ({ id: p.id, title: p.title, environment: p.environment })),
      runPhases: run.phases.map((p) => p.id),
      metadata: { ...checklist.metadata },
    });
  }
}
