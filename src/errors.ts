/**
 * Errors that reach the CLI edge. Each carries a stable `code` and the process exit
 * code the CLI uses, so scripts (and CI gates) can branch on the outcome.
 */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  awaitingApproval: 3,
  lockHeld: 4,
  database: 5,
  /** A non-idempotent step was interrupted mid-way: --retry-step or --skip-step decides. */
  interruptedStep: 6,
  /** The rollback procedure itself failed: manual repair needed. */
  rollbackFailed: 7,
  /** Every step ran, but some failed under `on_fail: warn`: not a pass (status PASSED WITH WARNINGS). */
  passedWithWarnings: 8,
  /** A run log is damaged or edited (an event fails its schema, the hash chain breaks): nothing was concluded from it. */
  damagedRun: 9,
  /** The operator pressed Ctrl-C: the run stopped cleanly and stays resumable (128 + SIGINT, as shells report it). */
  interrupted: 130,
  internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Every `code` an error can carry: scripts and `--json` readers branch on these, so
 * a new one is added here, never made up where it is thrown. `pg_<SQLSTATE>` is
 * PostgreSQL's own code (DatabaseError).
 */
export type ErrorCode =
  // usage (exit 2): nothing was done
  | 'usage'
  | 'checklist_invalid'
  | 'checklist_changed'
  | 'rollback_unfinished'
  | 'job_not_found'
  | 'job_other_organization'
  | 'job_payload_invalid'
  | 'job_id_invalid'
  | 'organization_id_invalid'
  | 'lint_parse_error'
  | 'checklist_too_large'
  | 'init_migration_failed'
  | 'init_out_exists'
  | 'organization_not_found'
  | 'key_not_found'
  | 'transaction_control_refused'
  | 'duplicate_migration'
  | 'migration_history_failed'
  | 'pooler_session_needed'
  // a check failed (exit 1)
  | 'check_failed'
  | 'step_failed'
  | 'rejected'
  | 'rolled_back'
  | 'failed'
  | 'rehearsal_failed'
  | 'metrics_unavailable'
  | 'error_rate_exceeded'
  | 'verify_failed'
  | 'migration_changed'
  | 'backup_checksum_mismatch'
  | 'pg_dump_failed'
  | 'unexpected_result_shape'
  | 'migration_024_missing'
  | 'migration_026_missing'
  | 'lock_limit'
  | 'lock_timeout'
  | 'invalid_index'
  | 'earlier_pending'
  | 'baseline_mismatch'
  // the other exit codes, one each
  | 'awaiting_approval'
  | 'lock_held'
  | 'advisory_lock_held'
  | 'database'
  | 'transaction_ended'
  | 'server_unreachable'
  | `pg_${string}`
  | 'damaged_run'
  | 'broken_chain'
  | 'interrupted_step'
  | 'rollback_failed'
  | 'interrupted'
  | 'internal';

export class ShipcheckError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly detail: string | undefined;
  readonly hint: string | undefined;

  constructor(
    message: string,
    options: { code: ErrorCode; exitCode: ExitCodeValue; detail?: string; hint?: string; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.exitCode = options.exitCode;
    this.detail = options.detail;
    this.hint = options.hint;
  }
}

/** Bad flags, bad files, bad input: nothing was done. */
export class UsageError extends ShipcheckError {
  constructor(message: string, options: { code?: ErrorCode; detail?: string; hint?: string } = {}) {
    super(message, { code: options.code ?? 'usage', exitCode: ExitCode.usage, ...options });
  }
}

/** An expectation did not hold (a count, a grant, a contract). */
export class CheckFailedError extends ShipcheckError {
  constructor(message: string, options: { code?: ErrorCode; detail?: string; hint?: string } = {}) {
    super(message, { code: options.code ?? 'check_failed', exitCode: ExitCode.checkFailed, ...options });
  }
}

/** Someone else holds the run lease or the advisory lock. */
export class LockHeldError extends ShipcheckError {
  constructor(message: string, options: { code?: ErrorCode; detail?: string; hint?: string } = {}) {
    super(message, { code: 'lock_held', exitCode: ExitCode.lockHeld, ...options });
  }
}

/** The run stopped cleanly at an approval step and waits for a human. */
export class AwaitingApprovalError extends ShipcheckError {
  constructor(message: string, options: { detail?: string; hint?: string } = {}) {
    super(message, { code: 'awaiting_approval', exitCode: ExitCode.awaitingApproval, ...options });
  }
}

/** A run log that cannot be trusted: an event fails its schema or the hash chain breaks (a bad signature closes the gate instead, exit 1). */
export class RunLogDamagedError extends ShipcheckError {
  constructor(message: string, options: { code?: ErrorCode; detail?: string; hint?: string } = {}) {
    super(message, {
      code: options.code ?? 'damaged_run',
      exitCode: ExitCode.damagedRun,
      hint: 'keep the run directory as evidence; move it out of the state directory to go on without it',
      ...options,
    });
  }
}

/** PostgreSQL said no. Keeps the server's own fields (code, detail, hint, position). */
export class DatabaseError extends ShipcheckError {
  readonly sqlState: string | undefined;
  readonly position: number | undefined;
  readonly sql: string | undefined;

  constructor(
    message: string,
    options: { sqlState?: string; detail?: string; hint?: string; position?: number; sql?: string; cause?: unknown },
  ) {
    super(message, {
      code: options.sqlState ? `pg_${options.sqlState}` : 'database',
      exitCode: ExitCode.database,
      ...(options.detail !== undefined && { detail: options.detail }),
      ...(options.hint !== undefined && { hint: options.hint }),
      cause: options.cause,
    });
    this.sqlState = options.sqlState;
    this.position = options.position;
    this.sql = options.sql;
  }
}

/**
 * Ctrl-C: the operator stopped the work and it stopped cleanly (exit 130, as shells
 * report SIGINT). The one error for every interruption — a run, a rollback, a
 * rehearsal, a wait for a lock, a step cut short.
 */
export class InterruptedError extends ShipcheckError {
  constructor(message: string, options: { detail?: string; hint?: string } = {}) {
    super(message, { code: 'interrupted', exitCode: ExitCode.interrupted, ...options });
  }

  /**
   * The operator stopped the run while a step was under way. Not a failed expectation: the
   * step did not finish, so the engine records nothing for it and a resumed run starts the
   * step again (or asks first, for a non-idempotent kind).
   */
  static duringStep(what: string): InterruptedError {
    return new InterruptedError(`interrupted by the operator while ${what}`, { hint: 'resume with shipcheck run' });
  }

  /** The run (or its rollback) stopped between steps, its lease released: `continueWith` goes on with it. */
  static ofRun(message: string, runId: string, continueWith?: string): InterruptedError {
    const how = continueWith ?? `shipcheck resume ${runId} (or shipcheck run with the same checklist and environment)`;
    return new InterruptedError(message, {
      hint: `the run is resumable: ${how} continues it without repeating finished steps`,
    });
  }
}

/** A non-idempotent step was interrupted mid-way: a human must say whether to run it again. */
export class InterruptedStepError extends ShipcheckError {
  readonly stepId: string;

  /** `continueWith`: the command that goes on with the run (`shipcheck rollback RUN` for a manual rollback). */
  constructor(stepId: string, title: string, runId: string, continueWith = `shipcheck resume ${runId}`) {
    super(`step "${stepId}" (${title}) was interrupted mid-way and is not safe to repeat blindly`, {
      code: 'interrupted_step',
      exitCode: ExitCode.interruptedStep,
      hint:
        `check the target by hand, then resume with --retry-step ${stepId} to run it again, ` +
        `or --skip-step ${stepId} if it had completed (${continueWith} --retry-step ${stepId})`,
    });
    this.stepId = stepId;
  }
}

/** The rollback procedure itself failed: the target is in an unknown state. */
export class RollbackFailedError extends ShipcheckError {
  constructor(message: string, options: { detail?: string } = {}) {
    super(`failed to roll back: manual repair needed (${message})`, {
      code: 'rollback_failed',
      exitCode: ExitCode.rollbackFailed,
      ...options,
      hint: 'inspect the target now; the run log and the report list what ran. Retry with shipcheck rollback RUN',
    });
  }
}
