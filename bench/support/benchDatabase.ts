import { randomBytes } from 'node:crypto';
import { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations/runner.js';
import { createDatabase, dropDatabase } from '../../src/db/scratchDatabases.js';
import { openServer } from '../../src/db/server.js';
import { testOrganizationId } from '../../src/shield/operator/testOrganization.js';

export interface BenchDatabase {
  readonly url: string;
  readonly serverVersion: string;
  /** "fsync on, synchronous_commit on": a commit's cost depends on them, so figures without them mislead. */
  readonly durability: string;
  readonly organizationId: string;
  /** embedded: started by this bench, nobody else uses it; external: DATABASE_URL's, maybe shared. */
  readonly serverKind: 'embedded' | 'external';
  admin: Database;
  close(): Promise<void>;
}

/** A migrated database of the benchmark's own, on DATABASE_URL's server or an embedded one. */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const server = await openServer();
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(server.url, name);
  const admin = Database.connect(url, { max: 2 });
  await migrate(admin);
  await admin.query("insert into public.organizations (id, name) values ($1, 'bench') on conflict do nothing", [
    testOrganizationId,
  ]);
  const { rows } = await admin.query<{ server_version: string }>('show server_version');
  const settings = await admin.query<{ name: string; setting: string }>(
    "select name, setting from pg_catalog.pg_settings where name in ('fsync', 'synchronous_commit') order by name",
  );
  return {
    url,
    serverVersion: rows[0]?.server_version ?? 'unknown',
    durability: settings.rows.map((row) => `${row.name} ${row.setting}`).join(', '),
    organizationId: testOrganizationId,
    serverKind: server.kind,
    admin,
    async close() {
      await admin.close();
      await dropDatabase(server.url, name);
      await server.stop();
    },
  };
}
