import { ExitCode, ShipcheckError } from '../errors.js';

/** The run outcomes with exit codes of their own. */
export const EngineExitCode = {
  interruptedStep: ExitCode.interruptedStep,
  rollbackFailed: ExitCode.rollbackFailed,
  interrupted: ExitCode.interrupted,
} as const;

/** Ctrl-C: the run stopped cleanly, its lease released; `shipcheck run` or `resume` continues it. */
export class RunInterruptedError extends ShipcheckError {
  constructor(message: string, runId: string) {
    super(message, {
      code: 'interrupted',
      exitCode: EngineExitCode.interrupted,
      hint: `the run is resumable: shipcheck resume ${runId} (or shipcheck run with the same checklist and environment) continues it without repeating finished steps`,
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
      exitCode: EngineExitCode.interruptedStep,
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
      exitCode: EngineExitCode.rollbackFailed,
      ...options,
      hint: 'inspect the target now; the run log and the report list what ran. Retry with shipcheck rollback RUN',
    });
  }
}
