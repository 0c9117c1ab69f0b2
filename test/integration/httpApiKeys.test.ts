import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { buildShieldApp } from '../../src/shield/http/app.js';
import { createApiKey, revokeApiKey } from '../../src/shield/keys/apiKeys.js';
import { KeyVerifier } from '../../src/shield/keys/keyVerifier.js';
import { resolveOrganization } from '../../src/shield/operator/testOrganization.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { actionBody, apiToken, capturingLogger, postAction } from './httpFixtures.js';

let t: TestDatabase;
let app: FastifyInstance;
let orgA: string;
let orgB: string;
const log = capturingLogger();

beforeAll(async () => {
  t = await freshDatabase();
  orgA = (await resolveOrganization(t.db, { create: true })).id;
  const { rows } = await t.db.query<{ id: string }>(
    `insert into public.organizations (name) values ('other tenant') returning id::text`,
  );
  orgB = rows[0]!.id;
  // TTL 0: every request looks its key up, so a revocation shows at once.
  app = buildShieldApp({
    db: t.db,
    auth: { kind: 'keys', keys: new KeyVerifier(t.db, { ttlMs: 0 }) },
    writer: 'action',
    logger: log.logger,
  }).app;
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function rowCounts() {
  const { rows } = await t.db.query<{ behaviours: number; actions: number; jobs: number }>(
    `select (select count(*)::int from public.user_behaviors) as behaviours,
            (select count(*)::int from public.shield_actions) as actions,
            (select count(*)::int from public.shield_jobs) as jobs`,
  );
  return rows[0]!;
}

describe('API keys scoped to an organization', () => {
  it('a key records actions for its own organization', async () => {
    const { token } = await createApiKey(t.db, { organizationId: orgA, scopes: ['actions:write', 'behaviours:read'] });
    const response = await postAction(app, actionBody(orgA, 'key_user', 'kk-1'), bearer(token));
    expect(response.statusCode).toBe(200);
    const read = await app.inject({
      method: 'GET',
      url: `/v1/behaviours/${orgA}/twitter/key_user`,
      headers: bearer(token),
    });
    expect(read.statusCode).toBe(200);
  });

  it("another organization's key gets 403 and writes nothing; it cannot read either", async () => {
    const { token } = await createApiKey(t.db, { organizationId: orgB, scopes: ['actions:write', 'behaviours:read'] });
    const before = await rowCounts();
    const response = await postAction(app, actionBody(orgA, 'victim', 'x-1'), bearer(token));
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatchObject({ code: 'forbidden', request_id: response.headers['x-request-id'] });
    expect(await rowCounts()).toEqual(before);
    const read = await app.inject({
      method: 'GET',
      url: `/v1/behaviours/${orgA}/twitter/key_user`,
      headers: bearer(token),
    });
    expect(read.statusCode).toBe(403);
  });

  it('scopes: read-only keys cannot write; only admin keys switch the writer or read /metrics', async () => {
    const reader = (await createApiKey(t.db, { organizationId: orgA, scopes: ['behaviours:read'] })).token;
    const writer = (await createApiKey(t.db, { organizationId: orgA, scopes: ['actions:write'] })).token;
    const admin = (await createApiKey(t.db, { organizationId: orgA, scopes: ['admin'] })).token;
    const before = await rowCounts();
    expect((await postAction(app, actionBody(orgA, 'scoped', 's-1'), bearer(reader))).statusCode).toBe(403);
    expect(await rowCounts()).toEqual(before);
    expect(
      (await app.inject({ method: 'GET', url: `/v1/behaviours/${orgA}/twitter/key_user`, headers: bearer(writer) }))
        .statusCode,
    ).toBe(403);
    for (const token of [reader, writer]) {
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/v1/admin/writer',
            headers: bearer(token),
            payload: { writer: 'legacy' },
          })
        ).statusCode,
      ).toBe(403);
      expect((await app.inject({ method: 'GET', url: '/metrics', headers: bearer(token) })).statusCode).toBe(403);
    }
    const switched = await app.inject({
      method: 'POST',
      url: '/v1/admin/writer',
      headers: bearer(admin),
      payload: { writer: 'action' },
    });
    expect(switched.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: bearer(admin) })).statusCode).toBe(200);
  });

  it('a wrong secret, a made-up key and a revoked key are 401', async () => {
    const { token, key } = await createApiKey(t.db, { organizationId: orgA, scopes: ['actions:write'] });
    const wrongSecret = `${token.slice(0, -4)}AAAA`;
    const madeUp = `shk_0123456789abcdef.${'A'.repeat(43)}`;
    for (const presented of [wrongSecret, madeUp, apiToken]) {
      const response = await postAction(app, actionBody(orgA, 'k401', 'k401-1'), bearer(presented));
      expect(response.statusCode, presented.slice(0, 8)).toBe(401);
    }
    expect((await postAction(app, actionBody(orgA, 'k401', 'k401-2'), bearer(token))).statusCode).toBe(200);
    await revokeApiKey(t.db, key.id);
    expect((await postAction(app, actionBody(orgA, 'k401', 'k401-3'), bearer(token))).statusCode).toBe(401);
  });

  it('only a SHA-256 of the secret is stored, and no secret reaches the log', async () => {
    const { token, key } = await createApiKey(t.db, { organizationId: orgA, scopes: ['actions:write'] });
    await postAction(app, actionBody(orgA, 'logged', 'lg-1'), bearer(token));
    const secret = token.split('.')[1]!;
    const { rows } = await t.db.query<{ dump: string }>(
      `select row_to_json(k)::text as dump from public.shield_api_keys k where id = $1`,
      [key.id],
    );
    expect(rows[0]!.dump).not.toContain(secret);
    expect(log.text()).not.toContain(secret);
  });

  it('the development token still works next to keys, for every organization', async () => {
    const mixed = buildShieldApp({
      db: t.db,
      auth: { kind: 'keys', keys: new KeyVerifier(t.db), token: apiToken },
      writer: 'action',
    }).app;
    try {
      const response = await postAction(mixed, actionBody(orgB, 'dev', 'dev-1'), bearer(apiToken));
      expect(response.statusCode).toBe(200);
    } finally {
      await mixed.close();
    }
  });

  it('the key cache answers repeated requests without a lookup per request', async () => {
    const { token } = await createApiKey(t.db, { organizationId: orgA, scopes: ['actions:write'] });
    const keys = new KeyVerifier(t.db, { ttlMs: 60_000 });
    await keys.verify(token);
    const before = t.db.roundTrips;
    for (let i = 0; i < 5; i++) expect(await keys.verify(token)).toMatchObject({ organizationId: orgA });
    expect(t.db.roundTrips).toBe(before);
  });
});

describe('shipcheck shield keys', () => {
  async function cli(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
    const code = await main(['node', 'shipcheck', 'shield', 'keys', ...args], output, { DATABASE_URL: t.url });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  it('create prints the secret once, list never shows it, revoke is idempotent', async () => {
    const created = await cli('create', '--organization', orgA, '--scope', 'actions:write', '--label', 'bot', '--json');
    expect(created.code).toBe(0);
    const { token, key } = JSON.parse(created.stdout);
    expect(token).toMatch(/^shk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    const listed = await cli('list', '--organization', orgA);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(key.id);
    expect(listed.stdout).not.toContain(token.split('.')[1]);
    const revoked = await cli('revoke', key.id);
    expect(revoked.code).toBe(0);
    expect((await cli('revoke', key.id)).code).toBe(0);
    expect((await cli('list', '--json')).stdout).toMatch(/"revokedAt": "20/);
  });

  it('bad input is exit 2 with one sentence, nothing written', async () => {
    const before = await t.db.query<{ n: number }>('select count(*)::int as n from public.shield_api_keys');
    const unknownScope = await cli('create', '--organization', orgA, '--scope', 'root');
    expect(unknownScope.code).toBe(2);
    expect(unknownScope.stderr).toMatch(/unknown scope root/);
    const missingOrg = await cli(
      'create',
      '--organization',
      '0b6c3f5e-1111-4222-8333-444455556666',
      '--scope',
      'admin',
    );
    expect(missingOrg.code).toBe(2);
    expect(missingOrg.stderr).toMatch(/does not exist/);
    expect((await cli('revoke', 'nothex')).code).toBe(2);
    const after = await t.db.query<{ n: number }>('select count(*)::int as n from public.shield_api_keys');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });
});
