import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorStep } from '../../../src/steps/monitor.js';
import { freshDatabase, type TestDatabase } from '../../support/database.js';
import { untilLockWaiters } from '../../support/lockWaits.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

/**
 * Relation OIDs are per database: a copy of a database (CREATE DATABASE … TEMPLATE, as the
 * tests' databases are, or a staging restored from production) has its tables under the same
 * OIDs. A lock wait over there must not count as a wait on the watched table here.
 */
describe('max_table_lock_waits on a server with a copy of the database', () => {
  let harness: StepHarness;
  let copy: TestDatabase;
  beforeAll(async () => {
    [harness, copy] = await Promise.all([stepHarness(), freshDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([harness?.close(), copy?.drop()]);
  });

  it('counts the waiters of its own database only, though the copy has the same table OID', async () => {
    const oidOf = async (db: TestDatabase['db']) =>
      (await db.query<{ oid: string }>("select 'public.user_behaviors'::regclass::oid::text as oid")).rows[0]!.oid;
    expect(await oidOf(copy.db)).toBe(await oidOf(harness.database.db));

    // In the copy: one session holds the table, another waits for it.
    const holder = new pg.Client({ connectionString: copy.url });
    const waiter = new pg.Client({ connectionString: copy.url });
    await Promise.all([holder.connect(), waiter.connect()]);
    try {
      await holder.query('begin');
      await holder.query('lock table public.user_behaviors in access exclusive mode');
      const waiting = waiter.query('select count(*) from public.user_behaviors');
      waiting.catch(() => {}); // ended with the client if the test fails first
      await untilLockWaiters(copy.db);

      const outcome = await harness.run(monitorStep, {
        duration: '1s',
        interval: '200ms',
        lock_table: 'public.user_behaviors',
        criteria: { max_table_lock_waits: 0 },
      });
      expect(outcome.status, outcome.message).toBe('passed');
      expect(outcome.metrics).toMatchObject({ table_lock_waits_max: 0 });

      await holder.query('rollback');
      await waiting;
    } finally {
      await Promise.all([holder.end(), waiter.end()]);
    }
  });
});
