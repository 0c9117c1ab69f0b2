import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { resolveOrganization } from '../../src/shield/operator/testOrganization.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { apiToken } from './httpFixtures.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
  await resolveOrganization(t.db, { create: true });
});
afterAll(async () => t?.drop());

function capture(): Output & { stdout: string[]; stderr: string[]; all: () => string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (l) => stdout.push(l),
    err: (l) => stderr.push(l),
    all: () => [...stdout, ...stderr].join('\n'),
  };
}

const run = (args: string[], env: NodeJS.ProcessEnv, output = capture()) =>
  main(['node', 'shipcheck', ...args], output, env).then((code) => ({ code, output }));

describe('shipcheck shield serve: refusals (exit 2, nothing started)', () => {
  it('without a token', async () => {
    const { code, output } = await run(['shield', 'serve', '--port', '0'], { DATABASE_URL: t.url });
    expect(code).toBe(2);
    expect(output.stdout).toEqual([]);
    expect(output.stderr[0]).toBe(
      'shipcheck: refusing to start without an API token: the environment variable SHIELD_API_TOKEN is not set',
    );
  });

  it('with --insecure-no-auth on a non-loopback address', async () => {
    const { code, output } = await run(['shield', 'serve', '--insecure-no-auth', '--host', '0.0.0.0'], {
      DATABASE_URL: t.url,
    });
    expect(code).toBe(2);
    expect(output.stderr[0]).toMatch(/--insecure-no-auth is only allowed on a loopback address, not on 0.0.0.0/);
  });

  it('exit 1 with --writer rpc on a database without migration 024', async () => {
    const old = await freshDatabase({ migrateTo: '006' });
    try {
      const { code, output } = await run(['shield', 'serve', '--port', '0'], {
        DATABASE_URL: old.url,
        SHIELD_API_TOKEN: apiToken,
      });
      expect(code).toBe(1);
      expect(output.stdout).toEqual([]);
      expect(output.stderr[0]).toBe(
        'shipcheck: the rpc writer needs migration 024, which is not applied to this database',
      );
    } finally {
      await old.drop();
    }
  });

  it('exit 1 with --api-keys or --writer action on a database without migration 026; exit 2 with --api-keys and --insecure-no-auth', async () => {
    const old = await freshDatabase({ migrateTo: '024' });
    try {
      const keys = await run(['shield', 'serve', '--port', '0', '--api-keys'], { DATABASE_URL: old.url });
      expect(keys.code).toBe(1);
      expect(keys.output.stderr[0]).toBe(
        'shipcheck: --api-keys needs migration 026, which is not applied to this database',
      );
      const action = await run(['shield', 'serve', '--port', '0', '--writer', 'action'], {
        DATABASE_URL: old.url,
        SHIELD_API_TOKEN: apiToken,
      });
      expect(action.code).toBe(1);
      expect(action.output.stderr[0]).toBe(
        'shipcheck: the action writer needs migration 026, which is not applied to this database',
      );
      const both = await run(['shield', 'serve', '--port', '0', '--api-keys', '--insecure-no-auth'], {
        DATABASE_URL: old.url,
      });
      expect(both.code).toBe(2);
    } finally {
      await old.drop();
    }
  });

  it('exit 5 when the database cannot be reached (either writer), password not shown', async () => {
    const env = { DATABASE_URL: 'postgres://shield:s3cr3t-pw@127.0.0.1:1/shield', SHIELD_API_TOKEN: apiToken };
    const { code, output } = await run(['shield', 'serve', '--port', '0', '--writer', 'legacy'], env);
    expect(code).toBe(5);
    expect(output.stderr[0]).toMatch(/^shipcheck: could not talk to the database/);
    expect(output.all()).not.toContain('s3cr3t-pw');
  });

  it('with a bad flag value', async () => {
    const { code, output } = await run(['shield', 'serve', '--writer', 'fast'], { SHIELD_API_TOKEN: apiToken });
    expect(code).toBe(2);
    expect(output.all()).toMatch(/--writer must be one of rpc, legacy, action, got "fast"/);
    expect(output.all()).not.toContain(apiToken);
  });
});

describe('shipcheck shield serve + shield load, in process', () => {
  it('serves, takes a load run, stops on SIGTERM with exit 0; no token or password in any output', async () => {
    // Files before this one in the worker (isolate: false) may have left SIGTERM listeners (the
    // child-process exit hook of src/process/children.ts): the signal goes to the server's own only.
    const before = new Set(process.listeners('SIGTERM'));
    const sigterm = () => {
      for (const listener of process.listeners('SIGTERM')) if (!before.has(listener)) listener('SIGTERM');
    };
    const env = { DATABASE_URL: t.url, SHIELD_API_TOKEN: apiToken };
    const serveOutput = capture();
    const serving = run(['shield', 'serve', '--port', '0', '--json', '--log-level', 'debug'], env, serveOutput);
    // A failed assertion must not leave the server (and this worker) running.
    onTestFinished(() => {
      sigterm();
    });
    const listening = await waitForLine(serveOutput.stdout, /"event":"listening"/);
    const { url, writer, auth } = JSON.parse(listening) as { url: string; writer: string; auth: string };
    expect({ writer, auth }).toEqual({ writer: 'rpc', auth: 'bearer' });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const load = await run(
      ['shield', 'load', '--url', url, '--rate', '20', '--duration', '2', '--users', '3', '--json'],
      env,
    );
    expect(load.code).toBe(0);
    const figures = JSON.parse(load.output.stdout.join('\n'));
    expect(figures).toMatchObject({ requestedRate: 20, users: 3, non2xx: 0, errors: 0, errorRate: 0 });
    expect(figures.responses).toBeGreaterThan(10); // 40 when the machine keeps up

    const text = await run(['shield', 'load', '--url', url, '--rate', '10', '--duration', '1s'], env);
    expect(text.code).toBe(0);
    expect(text.output.stdout[0]).toMatch(
      /^load on http:\/\/127\.0\.0\.1:\d+\/v1\/shield\/actions: 10 req\/s requested, 100 users/,
    );
    expect(text.output.stdout.join('\n')).toMatch(/latency {4}p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms/);

    const refused = await run(['shield', 'load', '--url', url, '--rate', '10', '--duration', '1'], {
      SHIELD_API_TOKEN: 'wrong-token-wrong-token',
    });
    expect(refused.code).toBe(1);
    expect(refused.output.stderr.at(-1)).toBe('shipcheck: error rate 100% is above the allowed 0%');
    const tolerated = await run(
      ['shield', 'load', '--url', url, '--rate', '5', '--duration', '1', '--max-error-rate', '1'],
      {},
    );
    expect(tolerated.code).toBe(0);
    expect(tolerated.output.stderr[0]).toBe('note: SHIELD_API_TOKEN is not set; sending requests without a token');

    sigterm();
    const served = await serving;
    expect(served.code).toBe(0);
    expect(serveOutput.stdout.at(-1)).toBe('{"event":"stopped"}');
    expect(serveOutput.stderr.join('\n')).toMatch(/"msg":"request"/);

    const password = new URL(t.url).password;
    for (const output of [serveOutput, load.output, text.output, refused.output]) {
      expect(output.all()).not.toContain(apiToken);
      if (password) expect(output.all()).not.toContain(password);
    }
  });
});

describe('shipcheck shield load: bad flags (exit 2, nothing sent)', () => {
  it.each([
    [
      ['--url', 'http://example.com:8080', '--rate', '5', '--duration', '1'],
      /must point at this machine \(loopback\), not example.com/,
    ],
    [['--url', 'http://127.0.0.1:1', '--rate', '0', '--duration', '1'], /--rate must be between 1 and 2000, got 0/],
    [['--url', 'http://127.0.0.1:1', '--rate', '5', '--duration', '1h'], /--duration must be 1-900 seconds/],
    [
      ['--url', 'http://127.0.0.1:1', '--rate', '5', '--duration', '1', '--max-error-rate', '2'],
      /--max-error-rate must be a number between 0 and 1/,
    ],
    [
      ['--url', 'http://127.0.0.1:1', '--rate', '5', '--duration', '1', '--organization-id', 'acme'],
      /--organization-id must be a UUID/,
    ],
  ])('%j', async (args, message) => {
    const { code, output } = await run(['shield', 'load', ...args], {});
    expect(code).toBe(2);
    expect(output.all()).toMatch(message);
  });
});

async function waitForLine(lines: string[], pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = lines.find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} in time: ${lines.join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
