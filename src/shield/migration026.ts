import { DatabaseError, UsageError } from '../errors.js';

/**
 * A query on a table of migration 026 that failed because the table does not exist
 * (42P01) becomes "`what` needs migration 026" with the command that applies it; any
 * other error is returned as it is.
 *
 * @example
 * await db.query(sql).catch((error: unknown) => Promise.reject(migration026Missing(error, 'API keys need')));
 */
export function migration026Missing(error: unknown, what: string): unknown {
  if (error instanceof DatabaseError && error.sqlState === '42P01') {
    return new UsageError(`${what} migration 026, which is not applied to this database`, {
      code: 'migration_026_missing',
      hint: 'apply it first: shipcheck db migrate --to 026',
    });
  }
  return error;
}
