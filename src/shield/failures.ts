import { DatabaseError, type ShipcheckError } from '../errors.js';

/**
 * Why an action failed, as a stable code a client can branch on. The reason text next
 * to it may carry a server's detail (hosts, PostgreSQL wording): the HTTP API shows
 * clients only the code and a plain sentence, and logs the rest.
 */
export type FailureCode =
  | 'invalid_request'
  | 'organization_not_found'
  | 'invalid_value'
  | 'idempotency_key_reused'
  | 'database_unavailable'
  | 'database_timeout'
  | 'database_error';

/** Codes the caller can retry later with the same request: the HTTP API answers 503 with Retry-After. */
export const retryableFailures: ReadonlySet<FailureCode> = new Set(['database_unavailable', 'database_timeout']);

/**
 * The code for a failure the service caught. No SQLSTATE means the driver never
 * reached the server; 55P03/57014 are lock_timeout and statement_timeout; 40001/40P01
 * (serialization, deadlock) and class 53 (out of resources) pass if retried.
 */
export function failureCodeOf(error: ShipcheckError): FailureCode {
  if (!(error instanceof DatabaseError)) return 'invalid_value';
  const state = error.sqlState;
  if (state === undefined || /^(08|53|57P0[1-3])/.test(state)) return 'database_unavailable';
  if (state === '55P03' || state === '57014' || state === '40001' || state === '40P01') return 'database_timeout';
  if (state === '23503' && /organization/.test(`${error.message} ${error.detail ?? ''}`))
    return 'organization_not_found';
  if (state.startsWith('22')) return 'invalid_value';
  return 'database_error';
}

// Messages the Shield functions raise themselves (024, 026): written for callers, safe to show.
const ownFunctionMessage =
  /(?:^|: )(?:atomic_update_user_behavior|atomic_add_user_strike|shield_record_action): [^\n]*$/;

/**
 * What a client may read about a failure: the service's own wording for input it
 * refused, a fixed sentence for everything that would expose the server.
 */
export function publicReason(code: FailureCode, reason: string | undefined): string {
  switch (code) {
    case 'invalid_request':
    case 'organization_not_found':
      return reason ?? code;
    case 'invalid_value':
      return reason !== undefined && ownFunctionMessage.test(reason)
        ? reason
        : 'a value in the request cannot be stored (see the API log under this request id)';
    case 'idempotency_key_reused':
      return 'this idempotency key (or comment id) was already used for a different request';
    case 'database_unavailable':
      return 'the database is unavailable; retry later';
    case 'database_timeout':
      return 'the database did not answer in time (locked or busy); retry later';
    case 'database_error':
      return 'the database failed this request';
  }
}
