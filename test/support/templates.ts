import { randomBytes } from 'node:crypto';
import { Database } from '../../src/db/database.js';
import { readMigrations } from '../../src/db/migrations/files.js';
import { migrate } from '../../src/db/migrations/runner.js';
import { createDatabase, dropDatabase } from '../../src/db/scratchDatabases.js';
import { migrationsDir } from '../../src/paths.js';

/** For each migration id, a database migrated up to it, that `freshDatabase` copies. */
export interface MigratedTemplates {
  /** Migration id → template database name. */
  readonly byMigration: Record<string, string>;
  /** The template with every migration. */
  readonly latest: string | undefined;
  drop(): Promise<void>;
}

/**
 * Builds the templates once per suite run, by the same `migrate()` the tests would call
 * (new migrations are picked up): each one a copy of the previous template, migrated one
 * step further, so every migration is applied once in all. A template can only be copied
 * while nobody is connected to it: each is closed before the next copy.
 */
export async function buildMigratedTemplates(adminUrl: string): Promise<MigratedTemplates> {
  const run = randomBytes(4).toString('hex');
  const byMigration: Record<string, string> = {};
  const built: string[] = [];
  const drop = async () => {
    for (const name of built.reverse()) await dropDatabase(adminUrl, name);
  };
  try {
    let previous: string | undefined;
    for (const { id } of await readMigrations(migrationsDir)) {
      const name = `t_template_${run}_${id}`;
      const url = await createDatabase(adminUrl, name, previous === undefined ? {} : { template: previous });
      built.push(name);
      const db = Database.connect(url, { max: 1 });
      try {
        await migrate(db, { to: id });
      } catch (error) {
        // Every test database is a copy of these: say which migration broke them all.
        throw new Error(`the tests' template database could not be migrated to ${id}: ${(error as Error).message}`, {
          cause: error,
        });
      } finally {
        await db.close();
      }
      byMigration[id] = name;
      previous = name;
    }
    return { byMigration, latest: previous, drop };
  } catch (error) {
    await drop();
    throw error;
  }
}
