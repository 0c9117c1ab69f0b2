import type { ApprovalRecord, PhaseStatus, StepOutcome } from '../steps/types.js';
import type { RollbackBranch } from '../checklist/types.js';
import type { PhaseSummary, RunEvent, StepError } from './events.js';
import { warnedSteps } from './stateQueries.js';
import type { RunStatus, StepStatus } from './status.js';

export type { RunStatus, StepStatus } from './status.js';

export interface StepState {
  readonly id: string;
  readonly phaseId: string;
  readonly kind: string;
  readonly title: string;
  readonly status: StepStatus;
  readonly attempts: number;
  readonly hash?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly outcome?: StepOutcome;
  readonly error?: StepError;
  /** on_fail's decision when the step failed; `warn` means the run went on. */
  readonly action?: 'stop' | 'rollback' | 'warn';
  /** The first and the latest progress lines (progressKept); the log keeps every one. */
  readonly progress: readonly string[];
  /** How many progress lines between the first and the latest ones `progress` left out. */
  readonly progressOmitted?: number;
  readonly skipReason?: string;
}

/**
 * How many progress lines a step keeps in the state: the first ones (what a
 * monitor watches, from when) and the latest. A 24-hour monitor writes tens of
 * thousands; the full series stays in the log and the step's evidence file.
 */
export const progressKept = { first: 10, latest: 90 } as const;

/** A torn last line a writer cut off (log_repaired). */
export interface LogRepair {
  readonly at: string;
  readonly offset: number;
  readonly bytes: number;
  readonly sideFile: string;
}

export interface RollbackState {
  readonly branch: RollbackBranch;
  readonly reason: string;
  readonly triggeredBy?: string;
  readonly status: 'running' | 'rolled_back' | 'failed' | 'monitoring';
  /** The rollback steps this rollback started or skipped, in order (an earlier rollback's are not among them). */
  readonly steps: readonly string[];
}

export interface RunState {
  readonly runId: string;
  readonly checklist: string;
  readonly checklistFile: string;
  readonly checklistHash: string;
  readonly environment: string;
  readonly target: string;
  readonly rehearse: boolean;
  readonly phaseFilter?: string;
  readonly phases: readonly PhaseSummary[];
  readonly runPhases: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly status: RunStatus;
  readonly message?: string;
  readonly phaseStatus: Readonly<Record<string, PhaseStatus>>;
  /** Steps in the order they first appeared in the log. */
  readonly steps: readonly StepState[];
  readonly approvals: Readonly<Record<string, ApprovalRecord>>;
  readonly pendingApproval?: { readonly stepId: string; readonly message: string };
  readonly rollback?: RollbackState;
  readonly holders: readonly string[];
  readonly takeovers: readonly {
    readonly at: string;
    readonly holder: string;
    readonly previousHolder: string;
    readonly reason: string;
  }[];
  readonly logRepairs?: readonly LogRepair[];
}

/**
 * State is a pure fold over the run log (STYLE: no second copy of state to drift):
 * the state of the first event, then applyEvent for each next one.
 *
 * @example
 * const state = foldEvents(await readEvents(runDir));
 */
export function foldEvents(events: readonly RunEvent[]): RunState {
  const first = events[0];
  if (!first) throw new Error('a run log must begin with run_started');
  let state = startState(first);
  for (let i = 1; i < events.length; i++) state = applyEvent(state, events[i]!);
  return state;
}

/**
 * The state after one more event. Its cost does not grow with the log (the
 * journal calls it on every append): it touches the changed step only, and a
 * step's progress is capped (progressKept).
 *
 * @example
 * journal.state = applyEvent(journal.state, event);
 */
export function applyEvent(state: RunState, event: RunEvent): RunState {
  return { ...apply(state, event), updatedAt: event.at };
}

/** The state a run log's first event, run_started, opens. */
export function startState(first: RunEvent): RunState {
  if (first.type !== 'run_started') throw new Error('a run log must begin with run_started');
  return {
    runId: first.runId,
    checklist: first.checklist,
    checklistFile: first.checklistFile,
    checklistHash: first.checklistHash,
    environment: first.environment,
    target: first.target,
    rehearse: first.rehearse,
    ...(first.phaseFilter !== undefined && { phaseFilter: first.phaseFilter }),
    phases: first.phases,
    runPhases: first.runPhases,
    metadata: first.metadata,
    startedAt: first.at,
    updatedAt: first.at,
    status: 'in_progress',
    phaseStatus: Object.fromEntries(first.runPhases.map((id) => [id, 'not_started' as PhaseStatus])),
    steps: [],
    approvals: {},
    holders: [first.holder],
    takeovers: [],
  };
}

function apply(state: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'run_started':
      return state;
    case 'run_resumed': {
      const { message: _message, ...rest } = state;
      const resumable =
        state.status === 'stopped' || state.status === 'awaiting_approval' || state.status === 'in_progress';
      return { ...rest, status: resumable ? 'in_progress' : state.status, holders: [...state.holders, event.holder] };
    }
    case 'lease_taken_over':
      return {
        ...state,
        takeovers: [
          ...state.takeovers,
          { at: event.at, holder: event.holder, previousHolder: event.previous.holder, reason: event.reason },
        ],
      };
    case 'leftovers_cleared':
      return state;
    case 'phase_started':
      return withPhase(state, event.phaseId, 'in_progress');
    case 'phase_finished':
      return withPhase(
        state,
        event.phaseId,
        event.status === 'passed' && warnedSteps(state, event.phaseId).length > 0
          ? 'passed_with_warnings'
          : event.status,
      );
    case 'step_started':
      return withStep(withRollbackStep(state, event.phaseId, event.stepId), event.stepId, (step) => ({
        id: event.stepId,
        phaseId: event.phaseId,
        kind: event.kind,
        title: event.title,
        status: 'Running',
        attempts: (step?.attempts ?? 0) + 1,
        hash: event.hash,
        startedAt: event.at,
        progress: [],
      }));
    case 'step_progress':
      return withStep(state, event.stepId, (step) => step && withProgress(step, event.message));
    case 'step_checkpoint':
      // For the step's next attempt (stepCheckpoints), not for status: the fold keeps none.
      return state;
    case 'step_finished':
      return withStep(state, event.stepId, (step) => {
        if (!step) return undefined;
        const failed = event.status !== 'passed';
        return {
          ...step,
          status: failed ? 'Error' : 'Success',
          finishedAt: event.at,
          durationMs: event.durationMs,
          ...(event.outcome && { outcome: event.outcome }),
          ...(event.error && { error: event.error }),
          ...(event.action && { action: event.action }),
        };
      });
    case 'step_skipped':
      return withStep(withRollbackStep(state, event.phaseId, event.stepId), event.stepId, (step) => ({
        id: event.stepId,
        phaseId: event.phaseId,
        kind: step?.kind ?? '',
        title: step?.title ?? event.stepId,
        attempts: step?.attempts ?? 0,
        progress: step?.progress ?? [],
        ...(step?.progressOmitted !== undefined && { progressOmitted: step.progressOmitted }),
        ...(step?.hash !== undefined && { hash: step.hash }),
        status: 'Skipped',
        skipReason: event.by ? `${event.reason} (by ${event.by})` : event.reason,
      }));
    case 'awaiting_approval':
      return {
        ...state,
        status: 'awaiting_approval',
        pendingApproval: { stepId: event.stepId, message: event.message },
      };
    case 'approval_recorded':
      return {
        ...state,
        approvals: {
          ...state.approvals,
          [event.stepId]: {
            by: event.by,
            decision: event.decision,
            at: event.at,
            osUser: event.osUser,
            ...(event.note !== undefined && { note: event.note }),
            ...(event.conditions !== undefined && { conditions: event.conditions }),
            conditionsMet: false,
            ...(event.runId !== undefined && { runId: event.runId }),
            ...(event.checklistHash !== undefined && { checklistHash: event.checklistHash }),
            ...(event.phases !== undefined && { phases: event.phases }),
          },
        },
      };
    case 'conditions_met': {
      const previous = state.approvals[event.stepId];
      if (!previous) return state;
      return { ...state, approvals: { ...state.approvals, [event.stepId]: { ...previous, conditionsMet: true } } };
    }
    case 'rollback_started':
      return {
        ...state,
        rollback: {
          branch: event.branch,
          reason: event.reason,
          ...(event.triggeredBy !== undefined && { triggeredBy: event.triggeredBy }),
          status: 'running',
          steps: [],
        },
      };
    case 'rollback_finished':
      return markRolledBack(
        { ...state, ...(state.rollback && { rollback: { ...state.rollback, status: event.status } }) },
        event.status === 'rolled_back',
      );
    case 'run_stopped':
      return {
        ...state,
        status: event.reason === 'awaiting_approval' ? 'awaiting_approval' : 'stopped',
        message: event.message,
      };
    case 'run_finished': {
      const { pendingApproval: _pending, ...rest } = state;
      const status = event.status === 'passed' && warnedSteps(state).length > 0 ? 'passed_with_warnings' : event.status;
      return { ...rest, status, message: event.message };
    }
    case 'log_repaired':
      return {
        ...state,
        logRepairs: [
          ...(state.logRepairs ?? []),
          { at: event.at, offset: event.offset, bytes: event.bytes, sideFile: event.sideFile },
        ],
      };
  }
}

function withProgress(step: StepState, message: string): StepState {
  const { first, latest } = progressKept;
  if (step.progress.length < first + latest) return { ...step, progress: [...step.progress, message] };
  return {
    ...step,
    progress: [...step.progress.slice(0, first), ...step.progress.slice(first + 1), message],
    progressOmitted: (step.progressOmitted ?? 0) + 1,
  };
}

function withPhase(state: RunState, phaseId: string, status: PhaseStatus): RunState {
  return { ...state, phaseStatus: { ...state.phaseStatus, [phaseId]: status } };
}

function withStep(
  state: RunState,
  stepId: string,
  update: (step: StepState | undefined) => StepState | undefined,
): RunState {
  const index = state.steps.findIndex((s) => s.id === stepId);
  const next = update(index === -1 ? undefined : state.steps[index]);
  if (!next) return state;
  const steps = index === -1 ? [...state.steps, next] : state.steps.map((s, i) => (i === index ? next : s));
  const pending =
    state.pendingApproval?.stepId === stepId && next.status !== 'Running' ? undefined : state.pendingApproval;
  const { pendingApproval: _old, ...rest } = state;
  return { ...rest, steps, ...(pending && { pendingApproval: pending }) };
}

function withRollbackStep(state: RunState, phaseId: string, stepId: string): RunState {
  const { rollback } = state;
  if (rollback?.status !== 'running' || phaseId !== `rollback:${rollback.branch}` || rollback.steps.includes(stepId))
    return state;
  return { ...state, rollback: { ...rollback, steps: [...rollback.steps, stepId] } };
}

/** A completed rollback undoes what the run's phases did: their successful steps and the phases themselves. */
function markRolledBack(state: RunState, rolledBack: boolean): RunState {
  if (!rolledBack) return state;
  return {
    ...state,
    steps: state.steps.map((s) =>
      s.status === 'Success' && !s.phaseId.startsWith('rollback:') ? { ...s, status: 'RolledBack' } : s,
    ),
    phaseStatus: Object.fromEntries(
      Object.entries(state.phaseStatus).map(([id, status]) => [id, status === 'not_started' ? status : 'rolled_back']),
    ),
  };
}
