import { takeTransactionLock, withAdvisoryLock } from '../db/advisoryLock.js';
import { behindTransactionPooler } from '../db/poolerDetection.js';
import type { Queryable } from '../db/database.js';
import {
  assertTransactionIntact,
  inTransaction,
  isTransactionEnded,
  transactionEnded,
  type TransactionEndedError,
} from '../db/transaction.js';
import { CheckFailedError, InterruptedError } from '../errors.js';
import type { ChecklistPhase, ChecklistStep } from '../checklist/types.js';
import { executeStep, failureMessage, runLockName, type StepRunDeps } from './stepExecutor.js';

/** How the rehearsal transaction ended, before it was rolled back. */
type RehearsalEnd =
  | { readonly kind: 'passed' }
  | { readonly kind: 'failed'; readonly message: string }
  /** Ctrl-C: before `step` started, or during it (the step was cut short). */
  | { readonly kind: 'interrupted'; readonly step: ChecklistStep; readonly when: 'before' | 'during' }
  /** SQL run by `step` ended the rehearsal transaction: what the steps did up to then may be on the target. */
  | {
      readonly kind: 'escaped';
      readonly step?: ChecklistStep;
      readonly rehearsed: readonly string[];
      readonly error: TransactionEndedError;
    };

const unchanged = 'the rehearsal transaction was rolled back; the target is unchanged';

/**
 * `run --rehearse`: the rehearsable steps (migrate, contract, rpc, sql, …) and
 * then the function_related rollback branch, all inside ONE transaction on one
 * connection that is rolled back at the end, so the target is unchanged. Steps
 * that cannot be rehearsed (backups, approvals, commands) are logged as skipped.
 * Ctrl-C stops it between steps (or cuts a listening step short), like a real run.
 * A step whose SQL ended the transaction (a COMMIT in a migration file) stops it at
 * once and fails it with `transaction_ended`: the target may have changed.
 */
export async function rehearse(phases: readonly ChecklistPhase[], deps: StepRunDeps): Promise<Error | undefined> {
  const { journal, checklist, environment } = deps;
  const rehearsed: string[] = [];
  const stale = staleChecks(phases, deps);
  const staleLine = stale.length > 0 ? `; ${describeStale(stale)}` : '';
  const lockName = runLockName(checklist, environment.name);
  // The rehearsal is one transaction: behind a transaction-mode pooler the run lock is taken inside it
  // (transaction-scoped), since a session lock would outlive it on a pooled server connection.
  const pooled = await behindTransactionPooler(environment.db);
  const rehearseOn = async (client: Queryable): Promise<RehearsalEnd> => {
    let reached: RehearsalEnd | undefined;
    try {
      await inTransaction(
        client,
        async () => {
          if (pooled) await takeTransactionLock(client, lockName);
          reached = await rehearseSteps(phases, deps, client, rehearsed);
        },
        { keep: () => false },
      );
      return reached!;
    } catch (error) {
      if (!isTransactionEnded(error)) throw error;
      // Seen after a step (reached names it) or only once rolled back (a commit hidden behind an aborted transaction).
      return reached?.kind === 'escaped' ? reached : { kind: 'escaped', rehearsed, error };
    }
  };
  const end = pooled
    ? await environment.db.withClient(rehearseOn)
    : await withAdvisoryLock(environment.db, lockName, rehearseOn);
  if (end.kind === 'escaped') {
    const by = end.step ? `step ${end.step.id} (${end.step.title})` : 'a rehearsed step';
    const how = end.error.fate ? `, which was ${end.error.fate} by it` : '';
    const message = `${by} ended the rehearsal transaction${how}; the target may have changed: the work of ${end.rehearsed.join(', ')} may have been committed`;
    await journal.record({ type: 'run_finished', status: 'failed', message });
    return new CheckFailedError(`rehearsal failed: ${message}`, {
      code: transactionEnded,
      detail: end.error.message,
      hint: 'check the target by hand (shipcheck db status, the objects the steps create); remove COMMIT/ROLLBACK/BEGIN from the SQL of the steps and migrations',
    });
  }
  if (end.kind === 'interrupted') {
    const message = `interrupted by the operator (Ctrl-C) ${end.when} step ${end.step.id} (${end.step.title}); ${unchanged}`;
    await journal.record({ type: 'run_stopped', reason: 'interrupted', message, stepId: end.step.id });
    // Not InterruptedError.ofRun: its hint offers a resume, and a rolled-back rehearsal has nothing to resume.
    return new InterruptedError(message, {
      hint: 'a rehearsal is never resumed: shipcheck run --rehearse starts a new one',
    });
  }
  if (end.kind === 'failed') {
    await journal.record({
      type: 'run_finished',
      status: 'failed',
      message: `${end.message}; ${unchanged}${staleLine}`,
    });
    return new CheckFailedError(`rehearsal failed: ${end.message}${staleLine}`, {
      code: 'rehearsal_failed',
      hint: unchanged,
    });
  }
  await journal.record({
    type: 'run_finished',
    status: 'passed',
    message: `rehearsal passed; ${unchanged}${staleLine}`,
  });
  return undefined;
}

/**
 * Every step on `client`, inside the transaction the caller rolls back. After each step
 * the transaction is checked: a step whose SQL ended it stops the rehearsal at once, since
 * what comes next would no longer run inside it. `rehearsed` collects the steps that ran.
 */
async function rehearseSteps(
  phases: readonly ChecklistPhase[],
  deps: StepRunDeps,
  client: Queryable,
  rehearsed: string[],
): Promise<RehearsalEnd> {
  const { journal, checklist } = deps;
  const notRehearsable = (step: ChecklistStep) => !deps.registry.get(step.kind)?.rehearsable;
  const stale = staleChecks(phases, deps);
  const skip = (step: ChecklistStep, phaseId: string) => {
    const later = stale.find((s) => s.step === step)?.later;
    const note = later
      ? `; later checks that may judge data it would have changed: ${later.map((l) => l.id).join(', ')}`
      : '';
    return journal.record({
      type: 'step_skipped',
      stepId: step.id,
      phaseId,
      reason: `not rehearsed: ${step.kind} steps run only for real${note}`,
    });
  };
  const run = async (step: ChecklistStep, phaseId: string) => {
    rehearsed.push(step.id);
    const result = await executeStep(step, phaseId, { ...deps, rehearsalClient: client });
    try {
      await assertTransactionIntact(client);
    } catch (error) {
      if (!isTransactionEnded(error)) throw error;
      return { kind: 'escaped', step, rehearsed, error } as const;
    }
    return result;
  };

  for (const phase of phases) {
    await journal.record({ type: 'phase_started', phaseId: phase.id });
    for (const step of phase.steps) {
      if (deps.signal.aborted) return { kind: 'interrupted', step, when: 'before' };
      if (notRehearsable(step)) {
        await skip(step, phase.id);
        continue;
      }
      const result = await run(step, phase.id);
      if (result.kind === 'escaped') {
        await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'failed' });
        return result;
      }
      if (result.kind === 'interrupted') return { kind: 'interrupted', step, when: 'during' };
      if (result.kind === 'finished' && (result.status === 'passed' || step.onFail === 'warn')) continue;
      await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'failed' });
      return { kind: 'failed', message: failureMessage(step, result) };
    }
    await journal.record({ type: 'phase_finished', phaseId: phase.id, status: 'passed' });
  }
  // "Rollback plan tested (dry-run)": the drop-and-verify branch, in the same transaction.
  const branch = 'function_related';
  const phaseId = `rollback:${branch}`;
  await journal.record({ type: 'rollback_started', branch, reason: 'rehearsal of the rollback procedure' });
  for (const step of checklist.rollback[branch]) {
    if (deps.signal.aborted) return { kind: 'interrupted', step, when: 'before' };
    if (notRehearsable(step)) {
      await skip(step, phaseId);
      continue;
    }
    const result = await run(step, phaseId);
    if (result.kind === 'escaped') {
      await journal.record({ type: 'rollback_finished', branch, status: 'failed' });
      return result;
    }
    if (result.kind === 'interrupted') return { kind: 'interrupted', step, when: 'during' };
    if (result.kind === 'finished' && result.status === 'passed') continue;
    await journal.record({ type: 'rollback_finished', branch, status: 'failed' });
    return { kind: 'failed', message: `rollback rehearsal: ${failureMessage(step, result)}` };
  }
  await journal.record({ type: 'rollback_finished', branch, status: 'rolled_back' });
  return { kind: 'passed' };
}

/** A step that may change data but is not rehearsed, and the rehearsed steps after it. */
interface StaleChecks {
  readonly step: ChecklistStep;
  readonly later: readonly ChecklistStep[];
}

/**
 * The rehearsal skips steps that run only for real; those that may change data (a `command`
 * running the team's script, a `concurrency` test) leave the checks after them judging the
 * data as it was before: a pass or a failure of those checks may not be what the real run sees.
 */
function staleChecks(phases: readonly ChecklistPhase[], deps: StepRunDeps): StaleChecks[] {
  const order = [...phases.flatMap((p) => p.steps), ...deps.checklist.rollback.function_related];
  const rehearsable = (step: ChecklistStep) => deps.registry.get(step.kind)?.rehearsable === true;
  const mutatesUnrehearsed = (step: ChecklistStep) =>
    !rehearsable(step) && deps.registry.get(step.kind)?.mutates === true;
  return order.flatMap((step, index) => {
    if (!mutatesUnrehearsed(step)) return [];
    const later = order.slice(index + 1).filter(rehearsable);
    return later.length > 0 ? [{ step, later }] : [];
  });
}

/** "command step seed-data (not rehearsed) may change what verify-rows, smoke-rpc judge: their results may be stale". */
function describeStale(stale: readonly StaleChecks[]): string {
  return stale
    .map(
      ({ step, later }) =>
        `${step.kind} step ${step.id} was not rehearsed, so ${later.map((l) => l.id).join(', ')} may have judged data it would have changed`,
    )
    .join('; ');
}
