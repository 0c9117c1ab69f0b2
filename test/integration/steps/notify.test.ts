import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { notifyStep } from '../../../src/steps/notify.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

const variable = 'SHIPCHECK_TEST_WEBHOOK_URL';

describe('notify step', () => {
  let harness: StepHarness;
  let server: Server;
  let baseUrl: string;
  const received: { path: string; body: unknown; contentType: string | undefined }[] = [];
  let answer = 200;
  let delayMs = 0;

  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: 'none' });
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          body: JSON.parse(body),
          contentType: request.headers['content-type'],
        });
        setTimeout(() => response.writeHead(answer).end('ok'), delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await writeFile(
      join(harness.runDir, 'events.jsonl'),
      `${[
        { type: 'run_started', checklist: 'migration-024' },
        { type: 'step_started', stepId: 'notify-devops', phaseId: 'staging-deployment' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n')}\n`,
    );
  });
  afterEach(() => {
    delete process.env[variable];
    received.length = 0;
    answer = 200;
    delayMs = 0;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await harness.close();
  });

  const spec = { webhook_env: variable, message: '{checklist}: {phase} on {environment} (run {run_id})' };

  it('POSTs the message with its placeholders filled and passes on 2xx, never showing the URL', async () => {
    process.env[variable] = `${baseUrl}/services/T000/B000/secret-token`;
    const outcome = await harness.run(notifyStep, spec, { step: { id: 'notify-devops' } });
    expect(outcome.status, outcome.message).toBe('passed');
    expect(received).toEqual([
      {
        path: '/services/T000/B000/secret-token',
        contentType: 'application/json',
        body: { text: `migration-024: staging-deployment on staging (run test-${harness.database.name})` },
      },
    ]);
    expect(JSON.stringify(outcome)).not.toContain('secret-token');
  });

  it('fails on a non-2xx answer, naming the status', async () => {
    process.env[variable] = `${baseUrl}/hook`;
    answer = 404;
    const outcome = await harness.run(notifyStep, spec);
    expect(outcome).toMatchObject({ status: 'failed', message: 'the webhook answered 404 Not Found' });
  });

  it('fails on timeout and on a refused connection without quoting the URL', async () => {
    process.env[variable] = `${baseUrl}/slow-secret`;
    delayMs = 2000;
    const slow = await harness.run(notifyStep, { ...spec, timeout: '200ms' });
    expect(slow.message).toBe('could not notify: no answer within 200ms');

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    process.env[variable] = `http://127.0.0.1:${closedPort}/refused-secret`;
    const refused = await harness.run(notifyStep, spec);
    expect(refused.message).toBe('could not notify: connection failed (ECONNREFUSED)');
    expect(JSON.stringify(refused)).not.toContain('refused-secret');
  });

  it('fails when the variable is missing, or passes as skipped when optional', async () => {
    const missing = await harness.run(notifyStep, spec);
    expect(missing).toMatchObject({
      status: 'failed',
      message: `the environment variable ${variable} is not set; set it or mark the step optional: true`,
    });
    const skipped = await harness.run(notifyStep, { ...spec, optional: true });
    expect(skipped).toMatchObject({ status: 'passed', observed: { skipped: true } });
    expect(received).toHaveLength(0);
  });

  it('rejects bad specs', () => {
    for (const [bad, words] of [
      [{ message: 'hi' }, 'webhook_env'],
      [{ webhook_env: 'https://hooks.slack.com/x', message: 'hi' }, 'NAME of an environment variable'],
      [{ webhook_env: 'X', message: 'hi {user}' }, 'placeholders are'],
      [{ webhook_env: 'X', message: '' }, 'message'],
      [{ webhook_env: 'X', message: 'hi', channel: '#x' }, 'channel'],
    ] as const) {
      const result = notifyStep.schema.safeParse(bad);
      expect(result.success, JSON.stringify(bad)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(words);
    }
  });
});
