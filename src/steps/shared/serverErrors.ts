import { DatabaseError } from '../../errors.js';

/** What a failed statement said, for a step's `observed`. */
export interface ObservedServerError {
  readonly sqlState: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

/**
 * A statement the server rejected is an observation (the function is missing, the
 * role lacks EXECUTE): the check fails and says why. A connection that broke is an
 * operational error and is thrown on.
 */
export function serverErrorOf(error: unknown): ObservedServerError {
  if (error instanceof DatabaseError && error.sqlState !== undefined) {
    return {
      sqlState: error.sqlState,
      message: error.message,
      ...(error.detail !== undefined && { detail: error.detail }),
      ...(error.hint !== undefined && { hint: error.hint }),
    };
  }
  throw error;
}
