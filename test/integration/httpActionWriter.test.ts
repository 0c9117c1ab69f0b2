import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database, type DatabaseOptions } from '../../src/db/database.js';
import { buildShieldApp } from '../../src/shield/http/app.js';
import { resolveOrganization } from '../../src/shield/operator/testOrganization.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import {
  actionBody,
  apiToken,
  auth,
  capturingLogger,
  lockUserBehaviors,
  postAction,
  sampleValue,
} from './httpFixtures.js';

// The action writer (migration 026): one round trip, one transaction, counted once.
let t: TestDatabase;
let app: FastifyInstance;
let organizationId: string;
const log = capturingLogger();

beforeAll(async () => {
  t = await freshDatabase({ poolSize: 20 });
  organizationId = (await resolveOrganization(t.db, { create: true })).id;
  app = buildShieldApp({
    db: t.db,
    auth: { kind: 'bearer', token: apiToken },
    writer: 'action',
    logger: log.logger,
  }).app;
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

async function counts(platformUserId: string) {
  const { rows } = await t.db.query<{
    violations: number | null;
    strikes: number | null;
    actions: number;
    jobs: number;
    requests: number;
  }>(
    `select (select total_violations from public.user_behaviors where platform_user_id = $1) as violations,
            (select strikes from public.user_behaviors where platform_user_id = $1) as strikes,
            (select count(*)::int from public.shield_actions where platform_user_id = $1) as actions,
            (select count(*)::int from public.shield_jobs where payload ->> 'platform_user_id' = $1) as jobs,
            (select count(*)::int from public.shield_action_requests) as requests`,
    [platformUserId],
  );
  return rows[0]!;
}

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  postAction(app, payload as object, { ...auth, ...headers });

describe('one action, one round trip, one transaction', () => {
  it('records violation, strike, audit rows and jobs in 1 round trip; the histogram reads 1', async () => {
    const response = await post(actionBody(organizationId, 'one_trip', 'ot-1'));
    expect(response.statusCode).toBe(200);
    const result = response.json();
    expect(result).toMatchObject({
      success: true,
      replay: false,
      roundTrips: 1,
      offenseLevel: 'first',
      strikes: { strikes: 1 },
    });
    expect(result.actions.map((a: { tag: string; status: string }) => [a.tag, a.status])).toEqual([
      ['hide_comment', 'queued'],
      ['add_strike_1', 'recorded'],
      ['check_reincidence', 'queued'],
    ]);
    expect(await counts('one_trip')).toMatchObject({ violations: 1, strikes: 1, actions: 3, jobs: 2 });
    const { rows } = await t.db.query<{ metadata: Record<string, unknown> }>(
      `select metadata from public.shield_actions where platform_user_id = 'one_trip' and action_tag = 'add_strike_1'`,
    );
    expect(rows[0]!.metadata).toMatchObject({ strikes_after: 1, writer: 'action', request: { toxicity_score: 0.9 } });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    expect(sampleValue(metrics, 'shield_action_db_round_trips_sum{writer="action"}')).toBe(1);
    expect(sampleValue(metrics, 'shield_action_db_round_trips_count{writer="action"}')).toBe(1);
  });

  it('the offence level is read inside the call: a repeat offender escalates', async () => {
    await post(actionBody(organizationId, 'repeat_user', 'rp-1'));
    const second = (await post(actionBody(organizationId, 'repeat_user', 'rp-2'))).json();
    expect(second).toMatchObject({
      success: true,
      offenseLevel: 'repeat',
      behaviour: { totalViolations: 2 },
      strikes: { strikes: 2 },
    });
  });

  it('a NUL in metadata (accepted by the validator) writes nothing at all: no violation without its audit row and job', async () => {
    const before = await counts('nul_user');
    const response = await post(
      actionBody(organizationId, 'nul_user', 'nul-1', { metadata: { toxicity_score: 0.9, note: 'x\u0000y' } }),
    );
    expect(response.statusCode).toBe(422);
    const body = response.json();
    expect(body.failedActions[0]).toMatchObject({ errorCode: 'invalid_value' });
    expect(body.requestId).toBe(response.headers['x-request-id']);
    // PostgreSQL's own wording stays in the log.
    expect(response.body).not.toMatch(/Unicode escape/);
    expect(log.text()).toMatch(/unsupported Unicode escape sequence/);
    expect(await counts('nul_user')).toEqual({ ...before, violations: null, strikes: null, actions: 0, jobs: 0 });
    // The claim rolled back too: the same comment without the NUL is recorded, not refused.
    const retry = await post(actionBody(organizationId, 'nul_user', 'nul-1'));
    expect(retry.statusCode).toBe(200);
    expect(retry.json().replay).toBe(false);
  });
});

describe('partial writes', () => {
  it('a jobs insert that fails leaves nothing with the action writer, a counted violation without audit with rpc', async () => {
    await t.db.query(`create function shield_test_fail_jobs() returns trigger language plpgsql as $$
      begin raise exception 'jobs table unavailable (simulated)'; end $$`);
    await t.db.query(`create trigger fail_jobs before insert on public.shield_jobs for each row
      when (new.payload ->> 'platform_user_id' like 'torn_%') execute function shield_test_fail_jobs()`);
    const rpc = buildShieldApp({ db: t.db, auth: { kind: 'bearer', token: apiToken }, writer: 'rpc' }).app;
    try {
      const viaAction = await post(actionBody(organizationId, 'torn_action', 'torn-1'));
      expect(viaAction.statusCode).toBe(500);
      expect(viaAction.json().error).toMatchObject({ code: 'database_error' });
      expect(viaAction.body).not.toMatch(/simulated/);
      expect(await counts('torn_action')).toMatchObject({ violations: null, strikes: null, actions: 0, jobs: 0 });

      const viaRpc = await postAction(rpc, actionBody(organizationId, 'torn_rpc', 'torn-2'));
      expect(viaRpc.statusCode).toBe(500);
      // The window the action writer closes: two commits, the first one stays.
      expect(await counts('torn_rpc')).toMatchObject({ violations: 1, strikes: 1, actions: 0, jobs: 0 });
    } finally {
      await rpc.close();
      await t.db.query('drop trigger fail_jobs on public.shield_jobs; drop function shield_test_fail_jobs()');
    }
  });
});

describe('a connection killed mid-action', () => {
  it('pg_terminate_backend while the action waits: 503, nothing written (claim included), the retry is recorded, not replayed', async () => {
    const db = Database.connect(t.url, { max: 1, applicationName: 'shield kill test' });
    const victim = buildShieldApp({ db, auth: { kind: 'bearer', token: apiToken }, writer: 'action' }).app;
    const lock = lockUserBehaviors(t.url);
    try {
      await lock.held;
      const pending = postAction(victim, actionBody(organizationId, 'killed_user', 'kill-1'));
      // The claim is inserted, then the call waits for the lock: that is when the backend dies.
      let killed = 0;
      for (let i = 0; i < 100 && killed === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const { rows } = await t.db.query<{ n: number }>(
          `select count(pg_catalog.pg_terminate_backend(pid))::int as n from pg_catalog.pg_stat_activity
            where application_name = 'shield kill test' and wait_event_type = 'Lock'`,
        );
        killed = rows[0]!.n;
      }
      expect(killed).toBe(1);
      const response = await pending;
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toMatchObject({ code: 'database_unavailable' });
      await lock.release();
      expect(await counts('killed_user')).toMatchObject({ violations: null, actions: 0, jobs: 0 });
      const { rows } = await t.db.query<{ n: number }>(
        `select count(*)::int as n from public.shield_action_requests where request_key = 'comment:twitter:kill-1'`,
      );
      expect(rows[0]!.n).toBe(0);
      const retry = await postAction(victim, actionBody(organizationId, 'killed_user', 'kill-1'));
      expect(retry.statusCode).toBe(200);
      expect(retry.json().replay).toBe(false);
      expect(await counts('killed_user')).toMatchObject({ violations: 1, strikes: 1, actions: 3, jobs: 2 });
    } finally {
      await lock.close();
      await victim.close();
      await db.close();
    }
  });
});

describe('idempotency', () => {
  it('a repeat of the same comment returns the first result, marked as a replay, and writes nothing', async () => {
    const first = await post(actionBody(organizationId, 'retry_user', 'rt-1'));
    const after = await counts('retry_user');
    const again = await post(actionBody(organizationId, 'retry_user', 'rt-1'));
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const replay = again.json();
    expect(replay.replay).toBe(true);
    expect(replay.actions).toEqual(first.json().actions);
    expect(replay.behaviour).toEqual(first.json().behaviour);
    expect(await counts('retry_user')).toEqual(after);
  });

  it('20 concurrent POSTs with the same comment id count once (the primary key, not a read-then-write)', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(actionBody(organizationId, 'storm_user', 'storm-1'))),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    const replays = responses.filter((r) => r.json().replay === true);
    expect(replays).toHaveLength(19);
    expect(await counts('storm_user')).toMatchObject({ violations: 1, strikes: 1, actions: 3, jobs: 2 });
  });

  it('an Idempotency-Key identifies the request; reused for another request it is 409 and writes nothing', async () => {
    const headers = { 'idempotency-key': 'client-retry-7f3a' };
    const first = await post(actionBody(organizationId, 'keyed_user', 'k-1'), headers);
    expect(first.statusCode).toBe(200);
    const after = await counts('keyed_user');
    const again = await post(actionBody(organizationId, 'keyed_user', 'k-1'), headers);
    expect(again.json()).toMatchObject({ replay: true });
    const reused = await post(actionBody(organizationId, 'keyed_user', 'k-2'), headers);
    expect(reused.statusCode).toBe(409);
    expect(reused.json().error).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await counts('keyed_user')).toEqual(after);
    const bad = await post(actionBody(organizationId, 'keyed_user', 'k-3'), { 'idempotency-key': 'has space' });
    expect(bad.statusCode).toBe(400);
  });

  it('the rpc writer (024 only) refuses an Idempotency-Key rather than ignoring it', async () => {
    const rpc = buildShieldApp({ db: t.db, auth: { kind: 'bearer', token: apiToken }, writer: 'rpc' }).app;
    try {
      const response = await postAction(rpc, actionBody(organizationId, 'rpc_keyed', 'rk-1'), {
        ...auth,
        'idempotency-key': 'abc',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toMatch(/needs the action writer/);
      expect(await counts('rpc_keyed')).toMatchObject({ violations: null, actions: 0 });
    } finally {
      await rpc.close();
    }
  });
});

describe('timeouts', () => {
  /** An action-writer app of the test's own, on a pool with these timeouts. */
  const actionAppWithTimeouts = (pool: DatabaseOptions, requestTimeoutMs: number) => {
    const db = Database.connect(t.url, pool);
    const app = buildShieldApp({
      db,
      auth: { kind: 'bearer', token: apiToken },
      writer: 'action',
      requestTimeoutMs,
    }).app;
    return { db, app };
  };

  it('user_behaviors locked ACCESS EXCLUSIVE: every request answers 503 with Retry-After within about lock_timeout; the pool recovers', async () => {
    const { db, app: locked } = actionAppWithTimeouts(
      { max: 3, lockTimeoutMs: 400, statementTimeoutMs: 3_000, connectionTimeoutMs: 4_000 },
      4_000,
    );
    const lock = lockUserBehaviors(t.url);
    try {
      await lock.held;
      const startedAt = Date.now();
      // More requests than connections: the queued ones must not hang either.
      const responses = await Promise.all(
        Array.from({ length: 9 }, (_, i) => postAction(locked, actionBody(organizationId, 'locked_user', `lk-${i}`))),
      );
      const elapsedMs = Date.now() - startedAt;
      for (const response of responses) {
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json().error).toMatchObject({ code: 'database_timeout' });
        expect(response.body).not.toMatch(/user_behaviors|55P03|canceling statement|relation/i);
      }
      // 9 requests over 3 connections, 400 ms each: three waves, well under the 4 s request timeout.
      expect(elapsedMs).toBeLessThan(3_500);
      await lock.release();
      const after = await postAction(locked, actionBody(organizationId, 'locked_user', 'lk-ok'));
      expect(after.statusCode).toBe(200);
      expect(await counts('locked_user')).toMatchObject({ violations: 1, actions: 3 });
    } finally {
      await lock.close();
      await locked.close();
      await db.close();
    }
  });

  it('a request past the request timeout answers 503 request_timeout; statement_timeout then frees the connection', async () => {
    const { db, app: slow } = actionAppWithTimeouts(
      { max: 1, lockTimeoutMs: 60_000, statementTimeoutMs: 1_000, connectionTimeoutMs: 5_000 },
      300,
    );
    const lock = lockUserBehaviors(t.url);
    try {
      await lock.held;
      const startedAt = Date.now();
      const response = await postAction(slow, actionBody(organizationId, 'slow_user', 'sl-1'));
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toMatchObject({ code: 'request_timeout' });
      expect(response.headers['retry-after']).toBe('1');
      expect(Date.now() - startedAt).toBeLessThan(2_000);
      await lock.release();
      // The one connection was freed by statement_timeout (or the lock's release): the pool still serves.
      const after = await slow.inject({
        method: 'GET',
        url: `/v1/behaviours/${organizationId}/twitter/nobody`,
        headers: auth,
      });
      expect(after.statusCode).toBe(404);
    } finally {
      await lock.close();
      await slow.close();
      await db.close();
    }
  });
});
