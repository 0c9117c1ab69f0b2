import type { ApprovalRecord, PhaseStatus, StepOutcome } from '../steps/types.js';
import type { RollbackBranch } from '../checklist/types.js';
import type { AttemptStatus, PhaseEnd, RunOutcome } from './status.js';

/**
 * The run log's vocabulary: one JSON object per line of events.jsonl. The log is
 * the truth; status, resume and reports are folds over it (state.ts).
 */
export type RunEvent =
  | RunStarted
  | RunResumed
  | LeaseTakenOver
  | LeftoversCleared
  | PhaseStarted
  | PhaseFinished
  | StepStarted
  | StepProgress
  | StepCheckpoint
  | StepFinished
  | StepSkipped
  | AwaitingApproval
  | ApprovalRecorded
  | ConditionsMet
  | RollbackStarted
  | RollbackFinished
  | RunStopped
  | RunFinished
  | LogRepaired;

interface At {
  /** ISO timestamp. */
  readonly at: string;
}

export interface PhaseSummary {
  readonly id: string;
  readonly title: string;
  readonly environment: string;
}

export interface RunStarted extends At {
  readonly type: 'run_started';
  readonly runId: string;
  readonly checklist: string;
  readonly checklistFile: string;
  readonly checklistHash: string;
  readonly environment: string;
  /** host:port/database: the target, safe to show. */
  readonly target: string;
  readonly rehearse: boolean;
  readonly phaseFilter?: string | undefined;
  /** Every phase of the checklist (all environments), for the Completion Status block. */
  readonly phases: readonly PhaseSummary[];
  /** The phases this run executes. */
  readonly runPhases: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly holder: string;
}

export interface RunResumed extends At {
  readonly type: 'run_resumed';
  readonly holder: string;
  readonly checklistHash: string;
  readonly acceptedChanges?: readonly string[] | undefined;
}

export interface LeaseTakenOver extends At {
  readonly type: 'lease_taken_over';
  readonly holder: string;
  readonly previous: {
    readonly holder: string;
    readonly pid: number;
    readonly runId: string;
    readonly expiresAt: string;
  };
  readonly reason: string;
}

/** What a killed shipcheck left of the run, cleared at the next start: orphaned children, password files. */
export interface LeftoversCleared extends At {
  readonly type: 'leftovers_cleared';
  /** killed: it was still running (a pg_dump writing into the run directory); false: it had ended. */
  readonly children: readonly { readonly pid: number; readonly what: string; readonly killed: boolean }[];
  /** Password files of pg_dump removed. */
  readonly passfiles: number;
}

export interface PhaseStarted extends At {
  readonly type: 'phase_started';
  readonly phaseId: string;
}

export interface PhaseFinished extends At {
  readonly type: 'phase_finished';
  readonly phaseId: string;
  readonly status: PhaseEnd;
}

export interface StepStarted extends At {
  readonly type: 'step_started';
  readonly stepId: string;
  /** Phase id, or `rollback:<branch>` for rollback steps. */
  readonly phaseId: string;
  readonly kind: string;
  readonly title: string;
  /** sha256 of the step's definition: an edited checklist is detected on resume. */
  readonly hash: string;
  readonly attempt: number;
}

export interface StepProgress extends At {
  readonly type: 'step_progress';
  readonly stepId: string;
  readonly message: string;
}

/**
 * What a long step needs to continue after a crash (a monitor window's start and samples):
 * a resumed attempt of the step reads the checkpoints of the attempts interrupted before it.
 * `data` is the step kind's own, validated by it when read back.
 */
export interface StepCheckpoint extends At {
  readonly type: 'step_checkpoint';
  readonly stepId: string;
  readonly data: unknown;
}

export interface StepError {
  readonly code: string;
  readonly message: string;
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
}

export interface StepFinished extends At {
  readonly type: 'step_finished';
  readonly stepId: string;
  /** passed / failed: the step's outcome; error: it threw (counts as failed). */
  readonly status: AttemptStatus;
  readonly outcome?: StepOutcome | undefined;
  readonly error?: StepError | undefined;
  /** What on_fail decided for a failure. */
  readonly action?: 'stop' | 'rollback' | 'warn' | undefined;
  readonly durationMs: number;
}

export interface StepSkipped extends At {
  readonly type: 'step_skipped';
  readonly stepId: string;
  readonly phaseId: string;
  readonly reason: string;
  readonly by?: string | undefined;
}

export interface AwaitingApproval extends At {
  readonly type: 'awaiting_approval';
  readonly stepId: string;
  readonly message: string;
}

export interface ApprovalRecorded extends At {
  readonly type: 'approval_recorded';
  readonly stepId: string;
  readonly by: string;
  readonly decision: ApprovalRecord['decision'];
  readonly note?: string | undefined;
  readonly conditions?: string | undefined;
  readonly osUser: string;
  /** The evidence approved: the run, its checklist file's sha256, its phases' statuses at that moment. */
  readonly runId?: string | undefined;
  readonly checklistHash?: string | undefined;
  readonly phases?: Readonly<Record<string, PhaseStatus>> | undefined;
}

export interface ConditionsMet extends At {
  readonly type: 'conditions_met';
  readonly stepId: string;
  readonly by: string;
  readonly note?: string | undefined;
  readonly osUser: string;
}

export interface RollbackStarted extends At {
  readonly type: 'rollback_started';
  readonly branch: RollbackBranch;
  readonly reason: string;
  readonly triggeredBy?: string | undefined;
}

export interface RollbackFinished extends At {
  readonly type: 'rollback_finished';
  readonly branch: RollbackBranch;
  readonly status: 'rolled_back' | 'failed' | 'monitoring';
}

export interface RunStopped extends At {
  readonly type: 'run_stopped';
  /** interrupted: the operator pressed Ctrl-C; lease_lost: someone took the run's lease over; lock_held: another session holds the target's advisory lock. */
  readonly reason: 'awaiting_approval' | 'interrupted_step' | 'interrupted' | 'lease_lost' | 'lock_held' | 'error';
  readonly message: string;
  readonly stepId?: string | undefined;
}

export type { RunOutcome } from './status.js';

export interface RunFinished extends At {
  readonly type: 'run_finished';
  readonly status: RunOutcome;
  readonly message: string;
}

/** A writer found the log's last line torn (a crash mid-write), cut it off and kept its bytes in `sideFile`. */
export interface LogRepaired extends At {
  readonly type: 'log_repaired';
  /** Byte offset where the torn line began (the log's length after the cut). */
  readonly offset: number;
  /** How many bytes were cut off. */
  readonly bytes: number;
  /** The file in the run directory that keeps the cut bytes, unchanged. */
  readonly sideFile: string;
}
