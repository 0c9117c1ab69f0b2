import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.js';
import { buildShieldApp } from '../../src/shield/http/app.js';
import { resolveOrganization, testOrganizationId } from '../../src/shield/operator/testOrganization.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { actionBody, apiToken, auth, capturingLogger, postAction, sampleValue } from './httpFixtures.js';

let t: TestDatabase;
let app: FastifyInstance;
let organizationId: string;
const log = capturingLogger();

beforeAll(async () => {
  t = await freshDatabase();
  organizationId = (await resolveOrganization(t.db, { create: true })).id;
  app = buildShieldApp({ db: t.db, auth: { kind: 'bearer', token: apiToken }, writer: 'rpc', logger: log.logger }).app;
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

async function rowCounts() {
  const { rows } = await t.db.query<{ behaviours: number; actions: number; jobs: number }>(
    `select (select count(*)::int from public.user_behaviors) as behaviours,
            (select count(*)::int from public.shield_actions) as actions,
            (select count(*)::int from public.shield_jobs) as jobs`,
  );
  return rows[0]!;
}

describe('bearer-token auth', () => {
  const body = () => actionBody(organizationId, 'auth_user', 'auth-1');

  it('refuses a request without a token: 401 with WWW-Authenticate, nothing written', async () => {
    const before = await rowCounts();
    const response = await app.inject({ method: 'POST', url: '/v1/shield/actions', payload: body() });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="shield"');
    expect(response.json()).toEqual({ error: { code: 'unauthorized', message: 'missing bearer token' } });
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses a wrong token (same length, other length, other scheme)', async () => {
    for (const authorization of [`Bearer ${'0'.repeat(apiToken.length)}`, 'Bearer short', `Basic ${apiToken}`]) {
      const response = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="shield"/);
    }
  });

  it('accepts the right token', async () => {
    const response = await postAction(app, body());
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ success: true, commentId: 'auth-1', severity: 'critical' });
  });

  it('lets /healthz through without a token', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', database: 'ok', writer: 'rpc' });
  });
});

describe('POST /v1/shield/actions validation', () => {
  // Built at collection time, before beforeAll: the test organization's id is a constant.
  const valid = () => actionBody(testOrganizationId, 'validation_user', 'v-1');
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', [1, 2], /body must be a JSON object/],
    ['missing organization_id', { ...valid(), organization_id: undefined }, /organization_id: required/],
    ['organization_id not a uuid', { ...valid(), organization_id: 'acme' }, /organization_id: must be a uuid/],
    ['missing comment', { ...valid(), comment: undefined }, /comment: required/],
    ['unknown platform', { ...valid(), comment: { ...valid().comment, platform: 'myspace' } }, /comment\.platform/],
    [
      'comment id with a quote',
      { ...valid(), comment: { ...valid().comment, id: "1'; drop" } },
      /comment\.id: may only contain/,
    ],
    ['action_tags not an array', { ...valid(), action_tags: 'hide_comment' }, /action_tags: must be an array/],
    [
      'unknown tag',
      { ...valid(), action_tags: ['nuke_account'] },
      /action_tags\[0\]: "nuke_account" is not a known tag/,
    ],
    ['toxicity out of range', { ...valid(), metadata: { toxicity_score: 7 } }, /metadata\.toxicity_score/],
    ['no severity source', { ...valid(), metadata: {} }, /metadata: needs toxicity_score or severity/],
    ['unknown top-level field', { ...valid(), organisation: 'x' }, /unknown field: organisation/],
  ];

  it.each(cases)('%s → 400 with a message, nothing written', async (_name, payload, message) => {
    const before = await rowCounts();
    const response = await postAction(app, payload as object);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_body');
    expect(response.json().error.message).toMatch(message);
    expect(await rowCounts()).toEqual(before);
  });

  it('malformed JSON → 400 with the parser message, nothing written', async () => {
    const before = await rowCounts();
    const response = await postAction(app, '{"organization_id": ', { ...auth, 'content-type': 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/JSON/i);
    expect(await rowCounts()).toEqual(before);
  });

  it('an organization that does not exist → 422 with the service result, no behaviour written', async () => {
    const before = await rowCounts();
    const response = await postAction(app, actionBody('0b6c3f5e-1111-4222-8333-444455556666', 'ghost_user', 'g-1'));
    expect(response.statusCode).toBe(422);
    const result = response.json();
    expect(result.success).toBe(false);
    expect(result.failedActions[0].reason).toMatch(/organization 0b6c3f5e-1111-4222-8333-444455556666 does not exist/);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('record an action, read the behaviour', () => {
  it('two actions on one offender → GET returns the row with both counted', async () => {
    for (const commentId of ['r-1', 'r-2']) {
      const response = await postAction(app, actionBody(organizationId, 'reader_user', commentId));
      expect(response.statusCode).toBe(200);
    }
    const response = await app.inject({
      method: 'GET',
      url: `/v1/behaviours/${organizationId}/twitter/reader_user`,
      headers: auth,
    });
    expect(response.statusCode).toBe(200);
    const row = response.json();
    expect(row).toMatchObject({
      organization_id: organizationId,
      platform: 'twitter',
      platform_user_id: 'reader_user',
      platform_username: 'troll',
      total_violations: 2,
      severity_counts: { low: 0, medium: 0, high: 0, critical: 2 },
      strikes: 2,
    });
    expect(row.actions_taken.map((a: { comment_id: string }) => a.comment_id)).toEqual(['r-1', 'r-2']);
    expect(new Date(row.last_violation_at).getTime()).not.toBeNaN();
  });

  it('404 for an offender with no row, 400 for a bad uuid or platform', async () => {
    const missing = await app.inject({
      method: 'GET',
      url: `/v1/behaviours/${organizationId}/twitter/nobody`,
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');

    const badUuid = await app.inject({ method: 'GET', url: '/v1/behaviours/not-a-uuid/twitter/x', headers: auth });
    expect(badUuid.statusCode).toBe(400);
    expect(badUuid.json().error.message).toMatch(/organizationId: must be a uuid/);

    const badPlatform = await app.inject({
      method: 'GET',
      url: `/v1/behaviours/${organizationId}/Bad%20Platform/x`,
      headers: auth,
    });
    expect(badPlatform.statusCode).toBe(400);
    expect(badPlatform.json().error.message).toMatch(/platform: platform must be a lower-case name/);
  });
});

describe('GET /metrics', () => {
  it('counts N requests by result, their latency and round trips', async () => {
    const { metrics } = buildShieldApp({ db: t.db, auth: { kind: 'none' }, writer: 'rpc' });
    const fresh = buildShieldApp({ db: t.db, auth: { kind: 'bearer', token: apiToken }, writer: 'rpc' }).app;
    try {
      const n = 5;
      for (let i = 0; i < n; i++) {
        const response = await postAction(fresh, actionBody(organizationId, `metrics_user_${i % 2}`, `m-${i}`));
        expect(response.statusCode).toBe(200);
      }
      await postAction(fresh, { nope: true });
      await fresh.inject({ method: 'GET', url: '/metrics' });

      const response = await fresh.inject({ method: 'GET', url: '/metrics', headers: auth });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      const text = response.body;
      expect(sampleValue(text, 'shield_actions_total{writer="rpc",result="success"}')).toBe(n);
      expect(sampleValue(text, 'shield_actions_total{writer="rpc",result="invalid"}')).toBe(1);
      expect(sampleValue(text, 'shield_actions_total{writer="rpc",result="failed"}')).toBe(0);
      expect(sampleValue(text, 'shield_action_duration_seconds_count{writer="rpc",result="success"}')).toBe(n);
      expect(sampleValue(text, 'shield_action_duration_seconds_bucket{le="1",writer="rpc",result="success"}')).toBe(n);
      // rpc: the function call with its strike in one statement, then one batched insert = 2 round trips per action.
      expect(sampleValue(text, 'shield_action_db_round_trips_count{writer="rpc"}')).toBe(n);
      expect(sampleValue(text, 'shield_action_db_round_trips_sum{writer="rpc"}')).toBe(2 * n);
      expect(sampleValue(text, 'shield_http_errors_total{kind="bad_request"}')).toBe(1);
      expect(sampleValue(text, 'shield_http_errors_total{kind="unauthorized"}')).toBe(1);
      expect(sampleValue(text, 'shield_writer{writer="rpc"}')).toBe(1);
      expect(sampleValue(text, 'shield_writer{writer="legacy"}')).toBe(0);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
      // Each app has its own registry: the other app saw none of this traffic.
      expect(sampleValue(await metrics.registry.metrics(), 'shield_actions_total{writer="rpc",result="success"}')).toBe(
        0,
      );
    } finally {
      await fresh.close();
    }
  });
});

describe('failures', () => {
  it('a database that is down: 503 with Retry-After, a stable code and a request id, no host, port or password', async () => {
    const down = Database.connect('postgres://shield:s3cr3t-pw@127.0.0.1:1/shield', { max: 1 });
    const { app: downApp } = buildShieldApp({ db: down, auth: { kind: 'bearer', token: apiToken }, writer: 'rpc' });
    try {
      const action = await postAction(downApp, actionBody(organizationId, 'down_user', 'd-1'));
      expect(action.statusCode).toBe(503);
      expect(action.headers['retry-after']).toBe('1');
      expect(action.json()).toEqual({
        error: {
          code: 'database_unavailable',
          message: 'the database is unavailable; retry later',
          request_id: action.headers['x-request-id'],
        },
      });
      const read = await downApp.inject({
        method: 'GET',
        url: `/v1/behaviours/${organizationId}/twitter/down_user`,
        headers: auth,
      });
      expect(read.statusCode).toBe(503);
      expect(read.json()).toMatchObject({
        error: { code: 'database_unavailable', request_id: read.headers['x-request-id'] },
      });
      for (const body of [action.body, read.body])
        expect(body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:1\b|could not talk/);
      for (const body of [action.body, read.body]) expect(body).not.toContain('s3cr3t-pw');
      const metrics = (await downApp.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
      expect(sampleValue(metrics, 'shield_actions_total{writer="rpc",result="failed"}')).toBe(1);
      expect(sampleValue(metrics, 'shield_http_errors_total{kind="unavailable"}')).toBe(2);
    } finally {
      await downApp.close();
      await down.close();
    }
  });

  it('a service that throws: 500 with a plain sentence, counted as failed, the error logged', async () => {
    const captured = capturingLogger();
    const { app: throwing } = buildShieldApp({
      db: t.db,
      auth: { kind: 'bearer', token: apiToken },
      writer: 'rpc',
      logger: captured.logger,
      execute: async () => {
        throw new Error('bug in the service');
      },
    });
    try {
      const response = await postAction(throwing, actionBody(organizationId, 'throw_user', 't-1'));
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        error: { code: 'internal', message: 'internal error', request_id: response.headers['x-request-id'] },
      });
      expect(captured.text()).toContain('bug in the service');
      const metrics = (await throwing.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
      expect(sampleValue(metrics, 'shield_actions_total{writer="rpc",result="failed"}')).toBe(1);
      expect(sampleValue(metrics, 'shield_http_errors_total{kind="internal"}')).toBe(1);
    } finally {
      await throwing.close();
    }
  });

  it('unknown routes are 404 with the error shape', async () => {
    const response = await app.inject({ method: 'GET', url: '/v2/nothing?x=1', headers: auth });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /v2/nothing', request_id: response.headers['x-request-id'] },
    });
  });
});

describe('logs', () => {
  it('never contain the token', async () => {
    await app.inject({ method: 'GET', url: '/metrics', headers: auth });
    await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${apiToken}x` } });
    const text = log.text();
    expect(text).toContain('"msg":"request"');
    expect(text).not.toContain(apiToken);
  });
});
