import { UsageError } from '../errors.js';
import { allSteps, type Checklist, type ChecklistPhase } from '../checklist/types.js';
import { defaultRegistry, type StepRegistry } from '../steps/registry.js';
import type { EnvironmentHandle, StepOutcome } from '../steps/types.js';
import { clearCrashLeftovers } from './crashLeftovers.js';
import { openEnvironment, secretsOf } from './environment.js';
import { RunJournal } from './journal.js';
import { acquireLease, currentHolder, describeHolder, type HeldLease } from './lease.js';
import { executePhases, type PhaseRunOptions } from './phases.js';
import { rehearse } from './rehearsal.js';
import { silentRenderer, type RunRenderer } from './renderers/types.js';
import { newRunId } from './runId.js';
import { findResumable, listRuns, runDir, type StoredRun } from './runs.js';
import { isFinished, type RunState, type RunStatus, type StepStatus } from './state.js';
import { createRunHistory } from './history.js';
import type { StepRunDeps } from './stepExecutor.js';

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

export interface StepResult {
  readonly stepId: string;
  readonly phaseId: string;
  readonly kind: string;
  readonly title: string;
  readonly status: StepStatus;
  readonly message?: string;
  readonly outcome?: StepOutcome;
}

export interface RunResult {
  readonly runId?: string;
  readonly status?: RunStatus;
  /** Why the run ended early (or could not start); its exitCode is the CLI's. */
  readonly error?: Error;
  readonly results: readonly StepResult[];
}

/**
 * Runs (or resumes) a checklist on one environment. Never throws halfway: like
 * kysely's Migrator it returns `{ error?, results[] }` with a status per step.
 *
 * @example
 * const { error, results } = await runChecklist({ checklist, environment: 'staging', stateDir: '.shipcheck' });
 */
export async function runChecklist(options: RunOptions): Promise<RunResult> {
  const renderer = options.renderer ?? silentRenderer;
  let journal: RunJournal | undefined;
  let phases: readonly ChecklistPhase[] = [];
  let error: unknown;
  try {
    const runs = await listRuns(options.stateDir);
    const existing = pickExistingRun(options, runs);
    const phaseFilter = existing ? existing.state.phaseFilter : options.phase;
    phases = selectPhases(options.checklist, options.environment, phaseFilter);
    const environment = openEnvironment(options.checklist, options.environment, options.env ?? process.env);
    const runId = existing?.runId ?? newRunId(options.environment);
    try {
      const lease = await acquireLease({
        stateDir: options.stateDir,
        name: `${options.checklist.name}.${options.environment}`,
        runId,
        ...(options.takeOver !== undefined && { takeOver: options.takeOver }),
        ...options.lease,
      });
      try {
        const secrets = secretsOf(environment.connectionString);
        const dir = runDir(options.stateDir, runId);
        if (existing) assertUnchanged(options, existing.state);
        journal = existing
          ? RunJournal.resume(runId, dir, existing.events, renderer, secrets)
          : await RunJournal.create(runId, dir, renderer, secrets);
        renderer.start({ checklist: options.checklist, runId, environment: options.environment, phases, rehearse: options.rehearse ?? false });
        await recordStart(journal, options, environment, phases, lease, existing);
        await clearCrashLeftovers(journal);
        const deps: StepRunDeps = {
          journal,
          checklist: options.checklist,
          registry: options.registry ?? defaultRegistry,
          environment,
          history: createRunHistory(journal, options.checklist, runs),
          secrets,
          signal: options.signal ?? new AbortController().signal,
          env: options.env ?? process.env,
        };
        error = options.rehearse
          ? await rehearse(phases, deps)
          : await executePhases(phases, deps, {
              ...(options.retryStep !== undefined && { retryStep: options.retryStep }),
              ...(options.skipSteps !== undefined && { skipSteps: options.skipSteps }),
              ...(options.askOperator !== undefined && { askOperator: options.askOperator }),
              operator: currentHolder(),
              leaseLost: () => leaseLostReason(lease),
            });
      } finally {
        await lease.release();
      }
    } finally {
      await environment.db.close();
    }
  } catch (caught) {
    error = caught;
  }
  return closeRun(renderer, journal, phases, error);
}

/**
 * How a run (or a manual rollback) ends, whatever ended it: the renderer stops, and
 * the status and per-step results are read from the run log, beside the error if any.
 */
export async function closeRun(
  renderer: RunRenderer,
  journal: RunJournal | undefined,
  phases: readonly ChecklistPhase[],
  failure: unknown,
): Promise<RunResult> {
  await renderer.stop();
  const error = failure === undefined || failure instanceof Error ? failure : new Error(String(failure));
  const state = journal?.events.length ? journal.state : undefined;
  return {
    ...(journal && { runId: journal.runId }),
    ...(state && { status: state.status }),
    ...(error && { error }),
    results: resultsOf(phases, state),
  };
}

/** Undefined while the run holds its lease; otherwise who took it, as the sentence the run stops with. */
async function leaseLostReason(lease: HeldLease): Promise<string | undefined> {
  const check = await lease.check();
  if (check.held) return undefined;
  return check.holder
    ? `the run's lease was taken over by ${describeHolder(check.holder)}`
    : 'the run\'s lease file was removed by someone else';
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
      throw new UsageError(`run ${run.runId} is a rehearsal, rolled back when it stopped: there is nothing to continue`, {
        hint: 'shipcheck run --rehearse starts a new rehearsal',
      });
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
    throw new UsageError(`no phase "${phase}" on ${environment} (phases there: ${phases.map((p) => p.id).join(', ') || 'none'})`);
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
      { code: 'checklist_changed', hint: 'undo the edit, or pass --accept-changes to continue this run with the edited checklist' },
    );
  }
}

async function recordStart(
  journal: RunJournal,
  options: RunOptions,
  environment: EnvironmentHandle,
  phases: readonly ChecklistPhase[],
  lease: HeldLease,
  existing: StoredRun | undefined,
): Promise<void> {
  const { checklist } = options;
  if (existing) {
    const current = new Map(allSteps(checklist).map((s) => [s.id, s.hash]));
    const accepted = existing.state.steps.filter((s) => s.hash !== undefined && current.get(s.id) !== s.hash).map((s) => s.id);
    await journal.record({
      type: 'run_resumed',
      holder: lease.record.holder,
      checklistHash: checklist.fileHash,
      ...(accepted.length > 0 && { acceptedChanges: accepted }),
    });
  } else {
    await journal.record({
      type: 'run_started',
      runId: journal.runId,
      checklist: checklist.name,
      checklistFile: checklist.file,
      checklistHash: checklist.fileHash,
      environment: environment.name,
      target: environment.label,
      rehearse: options.rehearse ?? false,
      ...(options.phase !== undefined && { phaseFilter: options.phase }),
      phases: checklist.phases.map((p) => ({ id: p.id, title: p.title, environment: p.environment })),
      runPhases: phases.map((p) => p.id),
      metadata: { ...checklist.metadata },
      holder: lease.record.holder,
    });
  }
  if (lease.tookOver) {
    const { previous, reason } = lease.tookOver;
    await journal.record({
      type: 'lease_taken_over',
      holder: lease.record.holder,
      previous: { holder: previous.holder, pid: previous.pid, runId: previous.runId, expiresAt: previous.expiresAt },
      reason,
    });
  }
}

/** A status for every step of the run's phases (and the rollback steps that ran). */
export function resultsOf(phases: readonly ChecklistPhase[], state: RunState | undefined): StepResult[] {
  const recorded = new Map((state?.steps ?? []).map((s) => [s.id, s]));
  const planned = phases.flatMap((phase) => phase.steps.map((step) => ({ step, phaseId: phase.id })));
  const rollbackSteps = (state?.steps ?? []).filter((s) => s.phaseId.startsWith('rollback:'));
  const fromPlan = planned.map(({ step, phaseId }): StepResult => {
    const s = recorded.get(step.id);
    const message = s?.outcome?.message ?? s?.error?.message ?? s?.skipReason;
    return {
      stepId: step.id,
      phaseId,
      kind: step.kind,
      title: step.title,
      status: s?.status ?? 'NotExecuted',
      ...(message !== undefined && { message }),
      ...(s?.outcome && { outcome: s.outcome }),
    };
  });
  return [
    ...fromPlan,
    ...rollbackSteps.map((s): StepResult => ({
      stepId: s.id,
      phaseId: s.phaseId,
      kind: s.kind,
      title: s.title,
      status: s.status,
      ...((s.outcome?.message ?? s.error?.message) !== undefined && { message: (s.outcome?.message ?? s.error?.message)! }),
      ...(s.outcome && { outcome: s.outcome }),
    })),
  ];
}
