import type { Checklist, ChecklistPhase } from '../checklist/types.js';
import { defaultRegistry, type StepRegistry } from '../steps/registry.js';
import type { EnvironmentHandle, StepOutcome } from '../steps/types.js';
import { closeEnvironment, openEnvironment, secretsOf } from './environment.js';
import { clearCrashLeftovers } from './crashLeftovers.js';
import { logKeyFrom } from './logLine.js';
import type { RunResumed, RunStarted } from './events.js';
import { createRunHistory } from './history.js';
import { RunJournal } from './journal.js';
import { acquireLease, describeHolder, type HeldLease } from './lease.js';
import { silentRenderer, type RunRenderer } from './renderers/types.js';
import { runDir, type StoredRun } from './runs.js';
import type { RunState, RunStatus, StepStatus } from './state.js';
import type { StepRunDeps } from './stepExecutor.js';

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

/** What every session of a run needs, whether it runs the phases, resumes them or rolls back. */
export interface RunSessionOptions {
  readonly checklist: Checklist;
  /** Where runs and leases live (default ./.shipcheck at the CLI). */
  readonly stateDir: string;
  /** Which run the session opens, found before anything is opened: a refusal here (a UsageError) changes nothing. */
  readonly find: () => Promise<SessionRun>;
  /** Take over a stale lease (expired, or a dead process on this host). */
  readonly takeOver?: boolean;
  readonly lease?: { readonly ttlMs?: number; readonly heartbeatMs?: number };
  readonly renderer?: RunRenderer;
  readonly registry?: StepRegistry;
  readonly env?: NodeJS.ProcessEnv;
  /** Ctrl-C: the session stops before its next step (or cuts a listening step short); the run stays resumable. */
  readonly signal?: AbortSignal;
}

/** The run a session opens. */
export interface SessionRun {
  readonly runId: string;
  readonly environment: string;
  /** The phases this session may run: drawn up front by the renderer, listed in the results. */
  readonly phases: readonly ChecklistPhase[];
  readonly rehearse?: boolean;
  /** The run's log so far; undefined for a new run. */
  readonly existing?: StoredRun;
  /** Every run in the state dir, for the steps' history (gate, baseline). */
  readonly runs: readonly StoredRun[];
}

type StartEvent = Omit<RunStarted, 'at' | 'holder'> | Omit<RunResumed, 'at' | 'holder'>;

export interface RunSession {
  readonly run: SessionRun;
  readonly journal: RunJournal;
  readonly lease: HeldLease;
  readonly environment: EnvironmentHandle;
  /** What the steps run with. */
  readonly deps: StepRunDeps;
  /** Records run_started (a new run) or run_resumed, then lease_taken_over if the lease was taken over. */
  recordStart(event: StartEvent): Promise<void>;
  /** Undefined while the session holds its lease; otherwise who took it, as the sentence the run stops with. */
  leaseLost(): Promise<string | undefined>;
}

/**
 * One session of a run — `shipcheck run`, `resume` and `rollback` alike: finds the run,
 * opens the environment's pool, takes the run's lease, opens its journal and starts the
 * renderer; `work` records the start and runs steps (asking `leaseLost` and the signal
 * before each). The lease is released and the pool closed however `work` ends. Never
 * throws: like kysely's Migrator it returns `{ error?, results[] }`, read from the run log.
 *
 * @example
 * const result = await withRunSession({ checklist, stateDir, find, signal }, async (session) => {
 *   await session.recordStart({ type: 'run_resumed', checklistHash: checklist.fileHash });
 *   return executePhases(session.run.phases, session.deps, { operator, leaseLost: session.leaseLost });
 * });
 */
export async function withRunSession(
  options: RunSessionOptions,
  work: (session: RunSession) => Promise<Error | undefined>,
): Promise<RunResult> {
  const renderer = options.renderer ?? silentRenderer;
  let journal: RunJournal | undefined;
  let phases: readonly ChecklistPhase[] = [];
  let error: unknown;
  try {
    const run = await options.find();
    phases = run.phases;
    error = await runInSession(
      options,
      run,
      renderer,
      (opened) => {
        journal = opened;
      },
      work,
    );
  } catch (caught) {
    error = workError(caught);
  }
  await renderer.stop();
  const failure = error === undefined || error instanceof Error ? error : new Error(String(error));
  const state = journal?.events.length ? journal.state : undefined;
  return {
    ...(journal && { runId: journal.runId }),
    ...(state && { status: state.status }),
    ...(failure && { error: failure }),
    results: resultsOf(phases, state),
  };
}

async function runInSession(
  options: RunSessionOptions,
  run: SessionRun,
  renderer: RunRenderer,
  opened: (journal: RunJournal) => void,
  work: (session: RunSession) => Promise<Error | undefined>,
): Promise<Error | undefined> {
  const { checklist, stateDir } = options;
  const env = options.env ?? process.env;
  const environment = openEnvironment(checklist, run.environment, env);
  await using _pool = onDispose(() => closeEnvironment(environment));
  const lease = await acquireLease({
    stateDir,
    name: `${checklist.name}.${run.environment}`,
    runId: run.runId,
    ...(options.takeOver !== undefined && { takeOver: options.takeOver }),
    ...options.lease,
  });
  await using _lease = onDispose(() => lease.release());

  const secrets = [
    ...secretsOf(environment.connectionString),
    ...(environment.direct ? secretsOf(environment.direct.connectionString) : []),
  ];
  const journalOptions = { key: logKeyFrom(env) };
  const journal = run.existing
    ? RunJournal.resume(run.runId, run.existing.dir, run.existing.events, renderer, secrets, journalOptions)
    : await RunJournal.create(run.runId, runDir(stateDir, run.runId), renderer, secrets, journalOptions);
  opened(journal);
  renderer.start({
    checklist,
    runId: run.runId,
    environment: run.environment,
    phases: run.phases,
    rehearse: run.rehearse ?? false,
  });
  // `return await`: the lease and the pool are disposed when this scope ends, which must be after `work` has.
  return await work({
    run,
    journal,
    lease,
    environment,
    deps: {
      journal,
      checklist,
      registry: options.registry ?? defaultRegistry,
      environment,
      history: createRunHistory(journal, checklist, run.runs),
      secrets,
      signal: options.signal ?? new AbortController().signal,
      env,
    },
    recordStart: async (event) => {
      await recordStart(journal, lease, event);
      // Under the lease, before any step: what a killed shipcheck left of this run (orphaned children, password files).
      await clearCrashLeftovers(journal);
    },
    leaseLost: () => leaseLostReason(lease),
  });
}

/**
 * A release or close that failed after the work had thrown comes as a SuppressedError
 * holding both: the work's error is the one that says what happened to the run.
 */
function workError(caught: unknown): unknown {
  return caught instanceof Error && caught.name === 'SuppressedError' && 'suppressed' in caught
    ? workError(caught.suppressed)
    : caught;
}

/** Runs `dispose` when the `await using` scope that holds the result ends. */
function onDispose(dispose: () => Promise<void>): AsyncDisposable {
  return { [Symbol.asyncDispose]: dispose };
}

async function recordStart(journal: RunJournal, lease: HeldLease, event: StartEvent): Promise<void> {
  const { holder } = lease.record;
  await journal.record({ ...event, holder });
  if (lease.tookOver) {
    const { previous, reason } = lease.tookOver;
    await journal.record({
      type: 'lease_taken_over',
      holder,
      previous: { holder: previous.holder, pid: previous.pid, runId: previous.runId, expiresAt: previous.expiresAt },
      reason,
    });
  }
}

async function leaseLostReason(lease: HeldLease): Promise<string | undefined> {
  const check = await lease.check();
  if (check.held) return undefined;
  return check.holder
    ? `the run's lease was taken over by ${describeHolder(check.holder)}`
    : "the run's lease file was removed by someone else";
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
    ...rollbackSteps.map(
      (s): StepResult => ({
        stepId: s.id,
        phaseId: s.phaseId,
        kind: s.kind,
        title: s.title,
        status: s.status,
        ...((s.outcome?.message ?? s.error?.message) !== undefined && {
          message: (s.outcome?.message ?? s.error?.message)!,
        }),
        ...(s.outcome && { outcome: s.outcome }),
      }),
    ),
  ];
}
