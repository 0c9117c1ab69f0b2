import type { Database } from '../db/database.js';
import { behindTransactionPooler } from '../db/poolerDetection.js';
import { UsageError } from '../errors.js';
import type { EnvironmentHandle } from './types.js';

/**
 * The connection of `environment` on which a session lives as long as its client does: for the
 * run's advisory lock and for steps that span transactions (a migration run statement by
 * statement). The direct connection when the environment declares one; otherwise its own,
 * unless that goes through a transaction-mode pooler, where a session lock would be taken
 * on one server connection and released on another (or never): then a UsageError that
 * names the variable to set. `what` says what needs it, for the message.
 *
 * @example
 * const lockDb = await sessionTarget(context.environment, 'the run lock around step migrate');
 */
export async function sessionTarget(environment: EnvironmentHandle, what: string): Promise<Database> {
  if (environment.direct) return environment.direct.db;
  if (!(await behindTransactionPooler(environment.db))) return environment.db;
  throw poolerRefusal(environment, what);
}

/** The connection string to hand to code that opens its own connection (the migrate step). */
export async function sessionConnectionString(environment: EnvironmentHandle, what: string): Promise<string> {
  if (environment.direct) return environment.direct.connectionString;
  if (!(await behindTransactionPooler(environment.db))) return environment.connectionString;
  throw poolerRefusal(environment, what);
}

/** The code of the refusal: nothing was run. */
export const poolerSessionNeeded = 'pooler_session_needed';

function poolerRefusal(environment: EnvironmentHandle, what: string): UsageError {
  return new UsageError(
    `environment ${environment.name}: ${environment.connectionEnv} goes through a transaction-mode pooler (one client connection is not one server session), so ${what} cannot run on it`,
    {
      code: poolerSessionNeeded,
      hint: `declare direct_connection_env beside connection_env for ${environment.name} and set that variable to a direct or session-mode connection to the same database (Supabase: the direct connection or the session pooler on port 5432); nothing was run`,
    },
  );
}
