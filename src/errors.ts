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
  /** A run log is damaged or edited (an event fails its schema, the hash chain breaks): nothing was concluded from it. */
  damagedRun: 9,
  /** The operator pressed Ctrl-C: the run stopped cleanly and stays resumable (128 + SIGINT, as shells report it). */
  interrupted: 130,
  internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class ShipcheckError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly detail: string | undefined;
  readonly hint: string | undefined;

  constructor(
    message: string,
    options: { code: string; exitCode: ExitCodeValue; detail?: string; hint?: string; cause?: unknown },
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
  constructor(message: string, options: { code?: string; detail?: string; hint?: string } = {}) {
    super(message, { code: options.code ?? 'usage', exitCode: ExitCode.usage, ...options });
  }
}

/** An expectation did not hold (a count, a grant, a contract). */
export class CheckFailedError extends ShipcheckError {
  constructor(message: string, options: { code?: string; detail?: string; hint?: string } = {}) {
    super(message, { code: options.code ?? 'check_failed', exitCode: ExitCode.checkFailed, ...options });
  }
}

/** Someone else holds the run lease or the advisory lock. */
export class LockHeldError extends ShipcheckError {
  constructor(message: string, options: { code?: string; detail?: string; hint?: string } = {}) {
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
  constructor(message: string, options: { code?: string; detail?: string; hint?: string } = {}) {
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
