import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.js';
import { DatabaseError } from '../../src/errors.js';
import { rpcWriter } from '../../src/shield/writers/rpc.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;
let prepared: Database;
let organizationId: string;

beforeAll(async () => {
  t = await freshDatabase();
  prepared = Database.connect(t.url, { max: 1, preparedStatements: true });
  const { rows } = await t.db.query<{ id: string }>(
    "insert into public.organizations (name) values ('prepared') returning id",
  );
  organizationId = rows[0]!.id;
});
afterAll(async () => {
  await prepared?.close();
  await t?.drop();
});

const preparedNamesSql = "select name from pg_prepared_statements where name like 'shipcheck_%' order by name";

describe('Database with preparedStatements', () => {
  it('parses a parameterised statement once per connection and reuses it', async () => {
    const names = await prepared.withClient(async (client) => {
      for (const n of [1, 2, 3]) {
        const { rows } = await client.query<{ n: number }>('select $1::int + 1 as n', [n]);
        expect(rows[0]!.n).toBe(n + 1);
      }
      return (await client.query<{ name: string }>(preparedNamesSql)).rows.map((r) => r.name);
    });
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^shipcheck_[0-9a-f]{24}$/);
  });

  it('keeps parameterless queries on the simple protocol, so multi-statement scripts still run', async () => {
    await expect(prepared.query('create temporary table scratch (n int); drop table scratch')).resolves.toBeDefined();
  });

  it('counts round trips and keeps PostgreSQL error fields as before', async () => {
    const before = prepared.roundTrips;
    const error = await prepared.query('select $1::int as n', ['not a number']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).sqlState).toBe('22P02');
    expect(prepared.roundTrips).toBe(before + 1);
  });

  it('records violations through the rpc writer exactly as without it', async () => {
    const offender = { organizationId, platform: 'twitter', platformUserId: 'prepared_user' };
    const violation = { severity: 'high' as const, toxicityScore: 0.7, commentId: 'c1', actionTags: ['warn'] };
    await rpcWriter.recordViolation(prepared, offender, violation);
    const second = await rpcWriter.recordViolation(prepared, offender, { ...violation, commentId: 'c2' });
    const third = await rpcWriter.recordViolation(t.db, offender, { ...violation, commentId: 'c3' });
    expect(second.totalViolations).toBe(2);
    expect(third.totalViolations).toBe(3);
    expect(third.severityCounts.high).toBe(3);
  });
});
