import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.js';
import { behindTransactionPooler } from '../../src/db/poolerDetection.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { type Pooler, pgbouncerInstalled, startTransactionPooler } from '../support/pgbouncer.js';

let t: TestDatabase;
let pooler: Pooler;
let pooled: Database;

beforeAll(async () => {
  t = await freshDatabase({ migrateTo: 'none' });
  pooler = await startTransactionPooler(t.url);
  pooled = Database.connect(pooler.urlFor(t.url), { max: 12 });
});
afterAll(async () => {
  await pooled?.close();
  await pooler?.stop();
  await t?.drop();
});

describe.runIf(pgbouncerInstalled)('behind a transaction-mode PgBouncer', () => {
  it('detects the pooler, and a direct connection as direct', async () => {
    expect(await behindTransactionPooler(pooled)).toBe(true);
    expect(await behindTransactionPooler(t.db)).toBe(false);
  });
});
