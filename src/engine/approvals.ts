import { userInfo } from 'node:os';
import type { Checklist } from '../checklist/types.js';
import { UsageError } from '../errors.js';
import type { ApprovalRecord } from '../steps/types.js';
import { appendEvent } from './runLog.js';
import { loadRun } from './runs.js';
import { isFinished, type RunState } from './state.js';

export interface ApprovalInput {
  readonly stateDir: string;
  readonly runId: string;
  /** The approval step; default: the one the run is waiting at. */
  readonly stepId?: string;
  readonly by: string;
  /** Omitted with conditionsMet. */
  readonly decision?: ApprovalRecord['decision'];
  readonly note?: string;
  readonly conditions?: string;
  readonly conditionsMet?: boolean;
  /** The run's checklist: when given, an explicit stepId must name one of its approval steps in the run's phases. */
  readonly checklist?: Checklist;
  /** SHIPCHECK_LOG_KEY, when set: the decision's line is signed like the runner's. */
  readonly logKey?: Buffer | undefined;
}

/**
 * `shipcheck approve`: appends the decision (with time and OS user) to the run's
 * log; the next `shipcheck run` reads it. Returns the step it was recorded for.
 *
 * @example
 * await recordApproval({ stateDir, runId, by: 'Ana (PO)', decision: 'approved' });
 */
export async function recordApproval(input: ApprovalInput): Promise<{ stepId: string }> {
  const run = await loadRun(input.stateDir, input.runId);
  const state = run.state;
  if (isFinished(state)) throw new UsageError(`run ${run.runId} already ended (${state.status}); nothing to approve`);
  const stepId = input.stepId ?? state.pendingApproval?.stepId;
  if (stepId === undefined) {
    throw new UsageError(`run ${run.runId} is not waiting for an approval`, { hint: 'name the approval step with --step ID' });
  }
  if (input.stepId !== undefined && input.checklist) assertApprovalStep(input.checklist, run.state, input.stepId);
  if (!/\S/.test(input.by)) throw new UsageError('--by needs the name of the person deciding');
  const osUser = userInfo().username;
  const at = new Date().toISOString();

  if (input.conditionsMet) {
    const previous = state.approvals[stepId];
    if (previous?.decision !== 'conditional') {
      throw new UsageError(`step ${stepId} has no conditional approval whose conditions could be met`, {
        hint: `record one first: shipcheck approve ${run.runId} --by NAME --decision conditional --conditions TEXT`,
      });
    }
    await appendEvent(
      run.dir,
      { type: 'conditions_met', at, stepId, by: input.by, osUser, ...(input.note !== undefined && { note: input.note }) },
      { key: input.logKey },
    );
    return { stepId };
  }
  if (input.decision === undefined) throw new UsageError('--decision approved|conditional|rejected is required');
  if (input.decision === 'conditional' && !input.conditions) {
    throw new UsageError('a conditional approval needs --conditions TEXT (what must be addressed first)');
  }
  if (input.decision !== 'conditional' && input.conditions !== undefined) {
    throw new UsageError('--conditions only goes with --decision conditional');
  }
  await appendEvent(run.dir, {
    type: 'approval_recorded',
    at,
    stepId,
    by: input.by,
    decision: input.decision,
    osUser,
    ...(input.note !== undefined && { note: input.note }),
    ...(input.conditions !== undefined && { conditions: input.conditions }),
  }, { key: input.logKey });
  return { stepId };
}

/** A sign-off recorded for a step the run never reads would look like consent and mean nothing. */
function assertApprovalStep(checklist: Checklist, state: RunState, stepId: string): void {
  if (checklist.name !== state.checklist) {
    throw new UsageError(`run ${state.runId} belongs to checklist ${state.checklist}, not ${checklist.name}`);
  }
  const phases = checklist.phases.filter((p) => state.runPhases.includes(p.id));
  const approvalSteps = phases.flatMap((p) => p.steps).filter((s) => s.kind === 'approval').map((s) => s.id);
  const step = phases.flatMap((p) => p.steps).find((s) => s.id === stepId);
  if (step?.kind === 'approval') return;
  const what = step ? `is a ${step.kind} step, not an approval step` : `is not a step of run ${state.runId}'s phases`;
  throw new UsageError(`--step ${stepId} ${what}`, {
    hint: approvalSteps.length > 0 ? `approval steps of this run: ${approvalSteps.join(', ')}` : 'this run has no approval step',
  });
}
