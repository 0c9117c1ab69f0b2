import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations/runner.js';
import { createDatabase, dropDatabase } from '../../src/db/scratchDatabases.js';

export interface TestDatabase {
  readonly name: string;
  /** Superuser connection string to this test's own database. */
  readonly url: string;
  readonly db: Database;
  drop(): Promise<void>;
}

/** The suite's server (superuser), for tests that need to create more databases. */
export function adminUrl(): string {
  return inject('adminDatabaseUrl');
}

/**
 * One connection to the suite's server per worker for creating and dropping the test
 * databases: a connection of its own for each cost ~300 connections per run, each a backend
 * started and authenticated (docs/performance.md §6).
 */
let admin: Database | undefined;
const adminConnection = () => {
  admin ??= Database.connect(adminUrl(), { max: 1 });
  return admin;
};

/**
 * A database of the test's own on the suite's server, migrated to `migrateTo`
 * ('none' for empty, undefined for every migration). Drop it in afterAll.
 * Migrated ones are copies of the suite's templates (globalSetup), not a replay of the migrations.
 */
export async function freshDatabase(
  options: { migrateTo?: string | 'none'; poolSize?: number } = {},
): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const template = templateFor(options.migrateTo);
  const url = await createDatabase(adminUrl(), name, {
    ...(template !== undefined && { template, strategy: 'file_copy' as const }),
    via: adminConnection(),
  });
  const db = Database.connect(url, { max: options.poolSize ?? 10 });
  if (options.migrateTo !== 'none' && template === undefined) {
    // No template for this id (not a migration of db/migrations): migrate reports it as before.
    await migrate(db, options.migrateTo === undefined ? {} : { to: options.migrateTo });
  }
  return {
    name,
    url,
    db,
    async drop() {
      await db.close();
      await dropDatabase(adminUrl(), name, { via: adminConnection() });
    },
  };
}

function templateFor(migrateTo: string | undefined): string | undefined {
  if (migrateTo === 'none') return undefined;
  const templates = inject('migratedTemplates');
  return migrateTo === undefined ? templates.latest : templates.byMigration[migrateTo];
}
