import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations/runner.js';
import { CheckFailedError, UsageError } from '../../src/errors.js';
import { buildShieldApp } from '../../src/shield/http/app.js';
import { startShieldServer } from '../../src/shield/http/server.js';
import { resolveAuth } from '../../src/shield/http/serverAuth.js';
import { resolveOrganization } from '../../src/shield/operator/testOrganization.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { untilLockWaiters } from '../support/lockWaits.js';
import { actionBody, apiToken, auth, capturingLogger, postAction, sampleValue } from './httpFixtures.js';

let t: TestDatabase;
let organizationId: string;

beforeAll(async () => {
  t = await freshDatabase();
  organizationId = (await resolveOrganization(t.db, { create: true })).id;
});
afterAll(async () => t?.drop());

describe('GET /healthz', () => {
  it('reports degraded (503) when the database does not answer', async () => {
    // Nothing listens on port 1: a database that is down, without stopping anything shared.
    const down = Database.connect('postgres://shield:secret@127.0.0.1:1/shield', { max: 1 });
    const { app } = buildShieldApp({ db: down, auth: { kind: 'bearer', token: apiToken }, writer: 'legacy' });
    try {
      const response = await app.inject({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'degraded', database: 'error', writer: 'legacy' });
      expect(response.body).not.toContain('secret');
    } finally {
      await app.close();
      await down.close();
    }
  });
});

describe('writer switch', () => {
  let old: TestDatabase;
  beforeAll(async () => {
    old = await freshDatabase({ migrateTo: '006' });
    await resolveOrganization(old.db, { create: true });
  });
  afterAll(async () => old?.drop());

  it('legacy before 024, refuses rpc until 024 is applied, then switches without a restart', async () => {
    const { app } = buildShieldApp({ db: old.db, auth: { kind: 'bearer', token: apiToken }, writer: 'legacy' });
    const switchTo = (writer: unknown, headers: Record<string, string> = auth) =>
      app.inject({ method: 'POST', url: '/v1/admin/writer', headers, payload: { writer } });
    const post = (commentId: string) => postAction(app, actionBody(organizationId, 'switch_user', commentId));
    try {
      expect((await post('s-1')).statusCode).toBe(200);

      const refused = await switchTo('rpc');
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({ code: 'migration_024_missing' });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).json().writer).toBe('legacy');

      expect((await switchTo('rpc', {})).statusCode).toBe(401);
      expect((await switchTo('fast')).statusCode).toBe(400);
      expect((await switchTo('fast')).json().error.message).toMatch(/writer: /);

      await migrate(old.db);
      const switched = await switchTo('rpc');
      expect(switched.statusCode).toBe(200);
      expect(switched.json()).toEqual({ writer: 'rpc', previous: 'legacy' });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
        status: 'ok',
        database: 'ok',
        writer: 'rpc',
      });

      expect((await post('s-2')).statusCode).toBe(200);
      const metrics = (await app.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
      expect(sampleValue(metrics, 'shield_writer{writer="rpc"}')).toBe(1);
      expect(sampleValue(metrics, 'shield_writer{writer="legacy"}')).toBe(0);
      expect(sampleValue(metrics, 'shield_actions_total{writer="legacy",result="success"}')).toBe(1);
      expect(sampleValue(metrics, 'shield_actions_total{writer="rpc",result="success"}')).toBe(1);
      // The rpc writer needs fewer round trips than the read-modify-write it replaces.
      const legacyTrips = sampleValue(metrics, 'shield_action_db_round_trips_sum{writer="legacy"}')!;
      const rpcTrips = sampleValue(metrics, 'shield_action_db_round_trips_sum{writer="rpc"}')!;
      expect(rpcTrips).toBeLessThan(legacyTrips);

      const behaviour = await app.inject({
        method: 'GET',
        url: `/v1/behaviours/${organizationId}/twitter/switch_user`,
        headers: auth,
      });
      expect(behaviour.json()).toMatchObject({ total_violations: 2, strikes: 2 });
    } finally {
      await app.close();
    }
  });

  it('the server refuses to start with the rpc writer on a database without 024', async () => {
    const bare = await freshDatabase({ migrateTo: '006' });
    try {
      await expect(
        startShieldServer({ db: bare.db, auth: { kind: 'none' }, writer: 'rpc', host: '127.0.0.1', port: 0 }),
      ).rejects.toThrow(CheckFailedError);
    } finally {
      await bare.drop();
    }
  });
});

describe('startup auth policy', () => {
  const settings = { tokenEnv: 'SHIELD_API_TOKEN', insecureNoAuth: false, host: '127.0.0.1' };

  it('refuses to start without a token, or with a short one, and never echoes the token', () => {
    expect(() => resolveAuth(settings, {})).toThrow(
      /refusing to start without an API token: .*SHIELD_API_TOKEN is not set/,
    );
    expect(() => resolveAuth(settings, { SHIELD_API_TOKEN: 'hunter2' })).toThrow(UsageError);
    try {
      resolveAuth(settings, { SHIELD_API_TOKEN: 'hunter2' });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
    expect(resolveAuth(settings, { SHIELD_API_TOKEN: apiToken })).toEqual({ kind: 'bearer', token: apiToken });
  });

  it('allows --insecure-no-auth on loopback only', () => {
    expect(resolveAuth({ ...settings, insecureNoAuth: true }, {})).toEqual({ kind: 'none' });
    expect(resolveAuth({ ...settings, insecureNoAuth: true, host: '::1' }, {})).toEqual({ kind: 'none' });
    expect(() => resolveAuth({ ...settings, insecureNoAuth: true, host: '0.0.0.0' }, {})).toThrow(
      /--insecure-no-auth is only allowed on a loopback address, not on 0.0.0.0/,
    );
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM: stops accepting, finishes the request in flight, then closes the pool', async () => {
    const db = Database.connect(t.url, { max: 4 });
    const signals = new EventEmitter();
    const log = capturingLogger();
    const server = await startShieldServer({
      db,
      auth: { kind: 'bearer', token: apiToken },
      writer: 'rpc',
      host: '127.0.0.1',
      port: 0,
      signals,
      logger: log.logger,
    });

    // Hold a lock the action needs, so the request is provably in flight when the signal comes.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = t.db.transaction(async (tx) => {
      await tx.query('lock table public.user_behaviors in access exclusive mode');
      locked();
      await released;
    });
    await isLocked;

    const inFlight = fetch(`${server.url}/v1/shield/actions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(actionBody(organizationId, 'shutdown_user', 'sd-1')),
    });
    await untilLockWaiters(t.db);

    signals.emit('SIGTERM');
    await waitFor(async () => !(await accepts(server.port)));

    release();
    await holder;
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { success: boolean }).success).toBe(true);

    await server.closed;
    await expect(db.query('select 1')).rejects.toThrow();
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(log.text()).toContain('shutting down');
    expect(log.text()).not.toContain(apiToken);

    const { rows } = await t.db.query<{ total_violations: number }>(
      `select total_violations from public.user_behaviors where platform_user_id = 'shutdown_user'`,
    );
    expect(rows[0]?.total_violations).toBe(1);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a TCP connection to the port is accepted right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
