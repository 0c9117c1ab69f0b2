import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseError } from '../errors.js';

/** admin_shutdown and crash_shutdown: the server ended the session because it is going down. */
const shutdownStates = new Set(['57P01', '57P02']);

/** How long a step failed by a server shutdown waits for the Ctrl-C that may have caused it. */
export const shutdownGraceMs = 1000;

/**
 * Ctrl-C on a terminal reaches the whole process group, a server shipcheck started (the embedded
 * PostgreSQL) with it: the server's fast shutdown can fail a step's query before this process
 * has handled the same signal. A step that failed that way (the shutdown's error, or its
 * connection lost) waits up to `graceMs` for `signal`,
 * so that one Ctrl-C is recorded as an interruption, not as the step's failure. Resolves once
 * the signal is aborted or the wait is over; any other error resolves at once.
 */
export async function awaitCtrlCBehindShutdown(
  error: unknown,
  signal: AbortSignal,
  graceMs = shutdownGraceMs,
): Promise<void> {
  if (signal.aborted || !endedByServerShutdown(error)) return;
  await sleep(graceMs, undefined, { signal }).catch(() => {});
}

/**
 * The shutdown's own error (57P01), or, as often for a query under way, the connection simply
 * gone (a DatabaseError with no SQLSTATE: "Connection terminated unexpectedly").
 */
function endedByServerShutdown(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return false;
  return error.sqlState === undefined || shutdownStates.has(error.sqlState);
}
