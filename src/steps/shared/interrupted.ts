import { InterruptedError } from '../../errors.js';

/**
 * The operator stopped the run (Ctrl-C) while a step was under way. Not a failed
 * expectation: the step did not finish, so the engine records nothing for it and a
 * resumed run starts the step again (or asks first, for a non-idempotent kind).
 */
export function interrupted(what: string): InterruptedError {
  return new InterruptedError(`interrupted by the operator while ${what}`, { hint: 'resume with shipcheck run' });
}
