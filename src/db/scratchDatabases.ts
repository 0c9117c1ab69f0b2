import { UsageError } from '../errors.js';
import { withDatabase } from './connectionString.js';
import { Database } from './database.js';

const databaseName = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates a database on the server behind `adminUrl` and returns its connection string:
 * empty, or a copy of `template` (which nobody may be connected to meanwhile).
 */
export async function createDatabase(
  adminUrl: string,
  name: string,
  options: { template?: string } = {},
): Promise<string> {
  assertDatabaseName(name);
  if (options.template !== undefined) assertDatabaseName(options.template);
  const admin = Database.connect(adminUrl, { max: 1 });
  try {
    // Identifiers cannot be bound parameters; the names are checked against a strict pattern above.
    await admin.query(
      options.template === undefined
        ? `create database ${name}`
        : `create database ${name} template ${options.template}`,
    );
  } finally {
    await admin.close();
  }
  return withDatabase(adminUrl, name);
}

/** Drops a database, disconnecting whoever is still in it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  assertDatabaseName(name);
  const admin = Database.connect(adminUrl, { max: 1 });
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.close();
  }
}

function assertDatabaseName(name: string): void {
  if (!databaseName.test(name)) {
    throw new UsageError(`"${name}" is not a usable database name (lower-case letters, digits and _ only)`);
  }
}
