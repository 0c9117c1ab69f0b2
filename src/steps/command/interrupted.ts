import { ExitCode, ShipcheckError } from '../../errors.js';

/**
 * The operator stopped the run (Ctrl-C) while a step was under way. Not a failed
 * expectation: the step did not finish, so the engine records an error and a
 * resumed run starts the step again.
 */
export function interrupted(what: string): ShipcheckError {
  return new ShipcheckError(`interrupted by the operator while ${what}`, {
    code: 'interrupted',
    exitCode: ExitCode.checkFailed,
    hint: 'resume with shipcheck run',
  });
}
