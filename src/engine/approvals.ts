import { userInfo } from 'node:os';
import type { Checklist, ChecklistStep } from '../checklist/types.js';
import { UsageError } from '../errors.js';
import { defaultRegistry, type StepRegistry } from '../steps/registry.js';
import { traitsOfStep } from '../steps/traits.js';
import type { ApprovalRecord } from '../steps/types.js';
import { appendEvent } from './runLog.js';
import { latestApproval, listRuns, loadRun, type StoredRun } from './runs.js';
import type { RunState } from './state.js';
import { isFinished } from './stateQueries.js';

export interface ApprovalInput {
  readonly stateDir: string;
  /** The step kinds, for which steps take a sign-off (default: shipcheck's own). */
  readonly registry?: StepRegistry;
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

/** What `approve` recorded, and an earlier decision for the same step in another run (context only: it was not reused). */
export interface ApprovalResult {
  readonly stepId: string;
  readonly earlier?: ApprovalRecord & { readonly runId: string; readonly runStatus: RunState['status'] };
}

/**
 * `shipcheck approve`: appends the decision (with time and OS user) to the run's
 * log; the next `shipcheck run` reads it. The decision belongs to this run: it
 * records the run id, the checklist file's sha256 and the run's phase statuses it
 * approved, and no other run ever reads it as its own. Returns the step it was
 * recorded for, with the latest decision for that step in an earlier run as context.
 *
 * @example
 * await recordApproval({ stateDir, runId, by: 'Ana (PO)', decision: 'approved' });
 */
export async function recordApproval(input: ApprovalInput): Promise<ApprovalResult> {
  const runs = await listRuns(input.stateDir);
  const run = runs.find((r) => r.runId === input.runId) ?? (await loadRun(input.stateDir, input.runId));
  const state = run.state;
  if (isFinished(state)) throw new UsageError(`run ${run.runId} already ended (${state.status}); nothing to approve`);
  const stepId = input.stepId ?? state.pendingApproval?.stepId;
  if (stepId === undefined) {
    throw new UsageError(`run ${run.runId} is not waiting for an approval`, {
      hint: 'name the approval step with --step ID',
    });
  }
  if (input.stepId !== undefined && input.checklist)
    assertApprovalStep(input.checklist, run.state, input.stepId, input.registry ?? defaultRegistry);
  if (!/\S/.test(input.by)) throw new UsageError('--by needs the name of the person deciding');
  const osUser = userInfo().username;
  const at = new Date().toISOString();
  const earlier = earlierDecision(runs, run, stepId);

  if (input.conditionsMet) {
    const previous = state.approvals[stepId];
    if (previous?.decision !== 'conditional') {
      throw new UsageError(`step ${stepId} has no conditional approval whose conditions could be met`, {
        hint: `record one first: shipcheck approve ${run.runId} --by NAME --decision conditional --conditions TEXT`,
      });
    }
    await appendEvent(
      run.dir,
      {
        type: 'conditions_met',
        at,
        stepId,
        by: input.by,
        osUser,
        ...(input.note !== undefined && { note: input.note }),
      },
      { key: input.logKey },
    );
    return { stepId, ...(earlier && { earlier }) };
  }
  if (input.decision === undefined) throw new UsageError('--decision approved|conditional|rejected is required');
  if (input.decision === 'conditional' && !input.conditions) {
    throw new UsageError('a conditional approval needs --conditions TEXT (what must be addressed first)');
  }
  if (input.decision !== 'conditional' && input.conditions !== undefined) {
    throw new UsageError('--conditions only goes with --decision conditional');
  }
  await appendEvent(
    run.dir,
    {
      type: 'approval_recorded',
      at,
      stepId,
      by: input.by,
      decision: input.decision,
      osUser,
      ...(input.note !== undefined && { note: input.note }),
      ...(input.conditions !== undefined && { conditions: input.conditions }),
      runId: run.runId,
      checklistHash: runChecklistHash(run),
      phases: Object.fromEntries(state.runPhases.map((id) => [id, state.phaseStatus[id] ?? 'not_started'])),
    },
    { key: input.logKey },
  );
  return { stepId, ...(earlier && { earlier }) };
}

/** The hash of the checklist file the run runs now: a resume may have accepted an edited file. */
function runChecklistHash(run: StoredRun): string {
  const resumed = run.events.findLast((e) => e.type === 'run_resumed');
  return resumed?.type === 'run_resumed' ? resumed.checklistHash : run.state.checklistHash;
}

function earlierDecision(runs: readonly StoredRun[], run: StoredRun, stepId: string): ApprovalResult['earlier'] {
  const others = runs.filter((r) => r.runId !== run.runId && r.state.environment === run.state.environment);
  const earlier = latestApproval(others, run.state.checklist, stepId);
  if (!earlier) return undefined;
  const runStatus = others.find((r) => r.runId === earlier.runId)!.state.status;
  return { ...earlier, runStatus };
}

/** A sign-off recorded for a step the run never reads would look like consent and mean nothing. */
function assertApprovalStep(checklist: Checklist, state: RunState, stepId: string, registry: StepRegistry): void {
  if (checklist.name !== state.checklist) {
    throw new UsageError(`run ${state.runId} belongs to checklist ${state.checklist}, not ${checklist.name}`);
  }
  const phases = checklist.phases.filter((p) => state.runPhases.includes(p.id));
  const signOff = (s: ChecklistStep) => registry.has(s.kind) && traitsOfStep(registry, s).signOff;
  const approvalSteps = phases
    .flatMap((p) => p.steps)
    .filter(signOff)
    .map((s) => s.id);
  const step = phases.flatMap((p) => p.steps).find((s) => s.id === stepId);
  if (step && signOff(step)) return;
  const what = step ? `is a ${step.kind} step, not an approval step` : `is not a step of run ${state.runId}'s phases`;
  throw new UsageError(`--step ${stepId} ${what}`, {
    hint:
      approvalSteps.length > 0
        ? `approval steps of this run: ${approvalSteps.join(', ')}`
        : 'this run has no approval step',
  });
}
