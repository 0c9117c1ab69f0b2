import { UsageError } from '../errors.js';

/**
 * Connection strings come from an environment variable, never a flag: a flag
 * would show the password in `ps` and in shell history.
 */
export function connectionFromEnv(variable = 'DATABASE_URL', env: NodeJS.ProcessEnv = process.env): string {
  const value = env[variable]?.trim();
  if (!value) {
    const noFallback =
      variable === 'DATABASE_URL'
        ? "; only demo, shield concurrent and shield serve start a throw-away embedded PostgreSQL without it: this command's result must outlive it"
        : '';
    throw new UsageError(`no database to talk to: the environment variable ${variable} is not set`, {
      hint: `export ${variable}=postgres://user:password@host:5432/database (or name another variable with --database-url-env)${noFallback}`,
    });
  }
  if (!/^postgres(ql)?:\/\//i.test(value)) {
    throw new UsageError(`${variable} does not hold a postgres:// connection string`);
  }
  return value;
}
