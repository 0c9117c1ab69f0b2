import { describeConnection } from '../db/connectionString.js';
import { Database } from '../db/database.js';
import { UsageError } from '../errors.js';
import type { Checklist } from '../checklist/types.js';
import type { EnvironmentHandle } from '../steps/types.js';

/**
 * Opens an environment of the checklist from the environment variable it names.
 * A missing variable is a UsageError that names the variable (never a value).
 */
export function openEnvironment(checklist: Checklist, name: string, env: NodeJS.ProcessEnv): EnvironmentHandle {
  const declared = checklist.environments[name];
  if (!declared) {
    throw new UsageError(
      `checklist ${checklist.name} has no environment "${name}" (declared: ${Object.keys(checklist.environments).join(', ')})`,
    );
  }
  const connectionString = env[declared.connectionEnv]?.trim();
  if (!connectionString) {
    throw new UsageError(`environment ${name}: the variable ${declared.connectionEnv} is not set`, {
      hint: `export ${declared.connectionEnv}=postgres://user:password@host:5432/database`,
    });
  }
  if (!/^postgres(ql)?:\/\//i.test(connectionString)) {
    throw new UsageError(
      `environment ${name}: ${declared.connectionEnv} does not hold a postgres:// connection string`,
    );
  }
  const applicationName = `shipcheck run ${checklist.name}`;
  const directEnv = declared.directConnectionEnv;
  const direct = directEnv === undefined ? undefined : env[directEnv]?.trim();
  if (direct !== undefined && direct !== '' && !/^postgres(ql)?:\/\//i.test(direct)) {
    throw new UsageError(`environment ${name}: ${directEnv} does not hold a postgres:// connection string`);
  }
  return {
    name,
    connectionEnv: declared.connectionEnv,
    connectionString,
    label: describeConnection(connectionString),
    db: Database.connect(connectionString, { max: 10, applicationName }),
    // Unset, it stays absent: only a target behind a transaction-mode pooler needs it, and the
    // refusal there names the variable (src/steps/sessionTarget.ts).
    ...(directEnv !== undefined &&
      direct && {
        direct: {
          connectionEnv: directEnv,
          connectionString: direct,
          db: Database.connect(direct, { max: 2, applicationName }),
        },
      }),
  };
}

/** Closes the environment's pools (the direct one too). */
export async function closeEnvironment(environment: EnvironmentHandle): Promise<void> {
  await Promise.all([environment.db.close(), environment.direct?.db.close()]);
}

/** The strings that must never reach a file or a screen: the connection string and its password. */
export function secretsOf(connectionString: string): string[] {
  const secrets = [connectionString];
  try {
    const password = decodeURIComponent(new URL(connectionString).password);
    if (password) secrets.push(password, encodeURIComponent(password));
  } catch {
    // Unparseable: the whole string is already listed.
  }
  return secrets;
}
