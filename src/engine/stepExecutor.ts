import { advisoryLockHeld, withAdvisoryLock } from '../db/advisoryLock.js';
import type { Database, Queryable } from '../db/database.js';
import { redactSecrets } from '../db/connectionString.js';
import { AwaitingApprovalError, LockHeldError, ShipcheckError } from '../errors.js';
import type { Checklist, ChecklistStep } from '../checklist/types.js';
import type { StepRegistry } from '../steps/registry.js';
import { stepTraits } from '../steps/traits.js';
import type { EnvironmentHandle, RunHistory, StepContext, StepKind, StepOutcome } from '../steps/types.js';
import type { StepError } from './events.js';
import { stepCheckpoints } from './checkpoints.js';
import { awaitCtrlCBehindShutdown } from './serverShutdownGrace.js';
import { poolerSessionNeeded, sessionTarget } from '../steps/sessionTarget.js';
import { writeEvidenceFile } from './evidence.js';
import type { AttemptStatus } from './status.js';
import type { RunJournal } from './journal.js';

export interface StepRunDeps {
  readonly journal: RunJournal;
  readonly checklist: Checklist;
  readonly registry: StepRegistry;
  readonly environment: EnvironmentHandle;
  readonly history: RunHistory;
  readonly secrets: readonly string[];
  readonly signal: AbortSignal;
  /** The run's environment variables, handed to steps (webhook URLs, PATH). */
  readonly env?: NodeJS.ProcessEnv;
  /** Set during a rehearsal: every step runs on this client, inside its transaction. */
  readonly rehearsalClient?: Queryable;
}

export type StepRunResult =
  | {
      readonly kind: 'finished';
      readonly status: AttemptStatus;
      readonly outcome?: StepOutcome;
      readonly error?: StepError;
    }
  | { readonly kind: 'awaiting_approval'; readonly error: AwaitingApprovalError }
  /** The operator's Ctrl-C cut the step short: no result was recorded. */
  | { readonly kind: 'interrupted' };

/** The advisory lock that keeps two shipcheck runs from mutating the same target at once. */
export function runLockName(checklist: Checklist, environment: string): string {
  return `shipcheck.run:${checklist.name}:${environment}`;
}

/**
 * Runs one step and records step_started / step_finished around it. A throw
 * from the step is recorded as an `error` result, never propagated, except the
 * approval step's "waiting" which stops the run cleanly. A mutating step whose
 * advisory lock another session holds is not started: the run stops (run_stopped
 * 'lock_held') and the LockHeldError propagates.
 */
export async function executeStep(step: ChecklistStep, phaseId: string, deps: StepRunDeps): Promise<StepRunResult> {
  const kind = deps.registry.get(step.kind);
  if (!kind) throw new Error(`step kind "${step.kind}" is not registered`); // the loader guarantees it is
  if (!stepTraits(kind, step.spec).mutates || deps.rehearsalClient) return attemptStep(step, phaseId, kind, deps);
  // The lock comes before step_started: a step refused the lock never ran, and must not look
  // interrupted (a resume would ask whether a non-idempotent one did its work).
  // Refused, the run stops (exit 4) rather than fail the step: on_fail must not roll back what
  // the lock holder, another operator, is deploying at this moment.
  // Behind a transaction-mode pooler the lock lives on the direct connection, or the step does not start:
  // the run stops resumable (set the variable the refusal names, then run again).
  let lockDb: Database;
  try {
    lockDb = await sessionTarget(deps.environment, `the run lock around step ${step.id} (${step.title})`);
  } catch (error) {
    if (error instanceof ShipcheckError && error.code === poolerSessionNeeded) {
      await deps.journal.record({ type: 'run_stopped', reason: 'error', message: error.message, stepId: step.id });
    }
    throw error;
  }
  try {
    return await withAdvisoryLock(lockDb, runLockName(deps.checklist, deps.environment.name), () =>
      attemptStep(step, phaseId, kind, deps),
    );
  } catch (error) {
    if (!(error instanceof LockHeldError && error.code === advisoryLockHeld)) throw error;
    const message = `step ${step.id} (${step.title}) did not start: ${error.message}`;
    await deps.journal.record({ type: 'run_stopped', reason: 'lock_held', message, stepId: step.id });
    throw new LockHeldError(message, {
      code: advisoryLockHeld,
      hint: 'the run is resumable: run it again once the other session is done (nothing of this step ran)',
    });
  }
}

async function attemptStep(
  step: ChecklistStep,
  phaseId: string,
  kind: StepKind,
  deps: StepRunDeps,
): Promise<StepRunResult> {
  const { journal } = deps;
  const attempt = (journal.state.steps.find((s) => s.id === step.id)?.attempts ?? 0) + 1;
  const checkpoints = stepCheckpoints(journal.events, step.id);
  await journal.record({
    type: 'step_started',
    stepId: step.id,
    phaseId,
    kind: step.kind,
    title: step.title,
    hash: step.hash,
    attempt,
  });

  const started = performance.now();
  const pendingProgress: Promise<void>[] = [];
  const context: StepContext = {
    runId: journal.runId,
    runDir: journal.runDir,
    checklistDir: deps.checklist.dir,
    environment: deps.environment,
    step: { id: step.id, kind: step.kind, title: step.title, onFail: step.onFail },
    ...(deps.rehearsalClient && { rehearsal: { client: deps.rehearsalClient } }),
    writeEvidence: (name, content, description) =>
      writeEvidenceFile(
        journal.runDir,
        attempt === 1 ? step.id : `${step.id}.attempt-${attempt}`,
        name,
        content,
        description,
        deps.secrets,
      ),
    progress: (message) => {
      pendingProgress.push(journal.record({ type: 'step_progress', stepId: step.id, message }).catch(() => {}));
    },
    checkpoint: (data) => journal.record({ type: 'step_checkpoint', stepId: step.id, data }),
    checkpoints,
    history: deps.history,
    signal: deps.signal,
    ...(deps.env && { env: deps.env }),
  };

  let result: StepRunResult;
  try {
    const outcome = await kind.run(step.spec, context);
    result = { kind: 'finished', status: outcome.status, outcome };
  } catch (error) {
    if (error instanceof AwaitingApprovalError) {
      await Promise.all(pendingProgress);
      return { kind: 'awaiting_approval', error };
    }
    await awaitCtrlCBehindShutdown(error, deps.signal);
    result = { kind: 'finished', status: 'error', error: toStepError(error, deps.secrets) };
  }
  await Promise.all(pendingProgress);
  // A step that Ctrl-C cut short says nothing about the target, so on_fail must not act on it. It stays
  // started-and-not-finished in the log, like a step whose process died: a resume runs it again, or
  // asks first when its kind is not idempotent.
  if (deps.signal.aborted && result.status !== 'passed') return { kind: 'interrupted' };
  const failed = result.status !== 'passed';
  await journal.record({
    type: 'step_finished',
    stepId: step.id,
    status: result.status,
    ...(result.outcome && { outcome: result.outcome }),
    ...(result.error && { error: result.error }),
    ...(failed && { action: stepTraits(kind, step.spec).rejectsRun ? 'stop' : step.onFail }),
    durationMs: Math.round(performance.now() - started),
  });
  return result;
}

export function toStepError(error: unknown, secrets: readonly string[]): StepError {
  if (error instanceof ShipcheckError) {
    return {
      code: error.code,
      message: redactSecrets(error.message, secrets),
      ...(error.detail !== undefined && { detail: redactSecrets(error.detail, secrets) }),
      ...(error.hint !== undefined && { hint: error.hint }),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: redactSecrets(message, secrets) };
}

/** The sentence that says what went wrong with a finished step. */
export function failureMessage(step: ChecklistStep, result: StepRunResult): string {
  if (result.kind === 'awaiting_approval') return result.error.message;
  if (result.kind === 'interrupted') return `step ${step.id} (${step.title}) was interrupted by the operator`;
  const why = result.outcome?.message ?? result.error?.message ?? 'failed';
  return `step ${step.id} (${step.title}) failed: ${why}`;
}
