import { UsageError } from '../errors.js';
import { withDatabase } from './connectionString.js';
import { Database } from './database.js';

const databaseName = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * `via`: an open connection to the server behind `adminUrl` to run the statement on, for a
 * caller that makes many (the test suite); without it one is opened and closed for the call.
 */
interface AdminConnection {
  readonly via?: Database;
}

/**
 * Creates a database on the server behind `adminUrl` and returns its connection string:
 * empty, or a copy of `template` (which nobody may be connected to meanwhile).
 * `strategy: 'file_copy'` (PostgreSQL 15+) copies the template's files instead of writing
 * every block through the WAL: cheaper for many copies of a small template (the test suite's
 * server spent 37 s of CPU on its copies with the default, 27 s with this).
 */
export async function createDatabase(
  adminUrl: string,
  name: string,
  options: { template?: string; strategy?: 'file_copy' } & AdminConnection = {},
): Promise<string> {
  assertDatabaseName(name);
  if (options.template !== undefined) assertDatabaseName(options.template);
  if (options.strategy !== undefined && options.template === undefined)
    throw new UsageError('a copy strategy needs a template to copy');
  // Identifiers cannot be bound parameters; the names are checked against a strict pattern above.
  const copy =
    options.template === undefined
      ? ''
      : ` template ${options.template}${options.strategy === 'file_copy' ? ' strategy file_copy' : ''}`;
  await asAdmin(adminUrl, options, `create database ${name}${copy}`);
  return withDatabase(adminUrl, name);
}

/** Drops a database, disconnecting whoever is still in it. */
export async function dropDatabase(adminUrl: string, name: string, options: AdminConnection = {}): Promise<void> {
  assertDatabaseName(name);
  await asAdmin(adminUrl, options, `drop database if exists ${name} with (force)`);
}

async function asAdmin(adminUrl: string, options: AdminConnection, statement: string): Promise<void> {
  if (options.via) {
    await options.via.query(statement);
    return;
  }
  const admin = Database.connect(adminUrl, { max: 1 });
  try {
    await admin.query(statement);
  } finally {
    await admin.close();
  }
}

function assertDatabaseName(name: string): void {
  if (!databaseName.test(name)) {
    throw new UsageError(`"${name}" is not a usable database name (lower-case letters, digits and _ only)`);
  }
}
