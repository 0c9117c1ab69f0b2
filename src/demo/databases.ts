import { randomBytes } from 'node:crypto';
import { Database } from '../db/database.js';
import { migrate } from '../db/migrations/runner.js';
import { sqlFile } from '../db/sqlFile.js';
import { createDatabase, dropDatabase } from '../db/scratchDatabases.js';

const seedSql = sqlFile(import.meta.url, './sql/seed_shield.sql');
const seededCountsSql = sqlFile(import.meta.url, './sql/seeded_counts.sql');

/** The migration the demo databases stop at: everything before 024, as production is today. */
export const preMigrationTarget = '006';

export type DemoEnvironment = 'staging' | 'production';

export interface SeededCounts {
  readonly organizations: number;
  readonly members: number;
  readonly behaviours: number;
  readonly actions: number;
}

export interface DemoDatabase {
  readonly environment: DemoEnvironment;
  /** The database's name on the server: safe to show. */
  readonly name: string;
  /** Its connection string: contains the server's password, never shown or stored. */
  readonly url: string;
  readonly seeded: SeededCounts;
}

export interface DemoDatabases {
  readonly staging: DemoDatabase;
  readonly production: DemoDatabase;
  drop(): Promise<void>;
}

/**
 * Creates `shipcheck_demo_<hex>_staging` and `…_production` on the server behind
 * `serverUrl`, migrated to the pre-024 state and seeded with Shield data.
 * A failure half-way drops what was created.
 *
 * @example
 * const databases = await createDemoDatabases(server.url);
 * try { … } finally { await databases.drop(); }
 */
export async function createDemoDatabases(serverUrl: string): Promise<DemoDatabases> {
  const prefix = `shipcheck_demo_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  const drop = async () => {
    for (const name of created.splice(0)) await dropDatabase(serverUrl, name);
  };
  try {
    const prepare = async (environment: DemoEnvironment): Promise<DemoDatabase> => {
      const name = `${prefix}_${environment}`;
      const url = await createDatabase(serverUrl, name);
      created.push(name);
      return { environment, name, url, seeded: await migrateAndSeed(url) };
    };
    const staging = await prepare('staging');
    const production = await prepare('production');
    return { staging, production, drop };
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
}

async function migrateAndSeed(url: string): Promise<SeededCounts> {
  const db = Database.connect(url, { max: 1, applicationName: 'shipcheck demo setup' });
  try {
    await migrate(db, { to: preMigrationTarget });
    await db.transaction((tx) => tx.query(seedSql));
    const { rows } = await db.query<SeededCounts>(seededCountsSql);
    return rows[0]!;
  } finally {
    await db.close();
  }
}
