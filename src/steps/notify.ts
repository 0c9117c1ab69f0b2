import { InterruptedError } from '../errors.js';
import { z } from 'zod';
import { duration, formatDuration } from './shared/duration.js';
import { fillPlaceholders, placeholderNames, placeholderValues } from './notify/placeholders.js';
import type { StepKind, StepOutcome } from './types.js';

const schema = z.strictObject({
  webhook_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'webhook_env is the NAME of an environment variable, e.g. SLACK_WEBHOOK_URL')
    .describe('NAME of the environment variable holding the webhook URL (a secret: never printed or stored)'),
  message: z
    .string()
    .min(1)
    .refine(
      (m) =>
        [...m.matchAll(/\{([a-z_]+)\}/g)].every(([, name]) => (placeholderNames as readonly string[]).includes(name!)),
      {
        message: `message placeholders are ${placeholderNames.map((n) => `{${n}}`).join(', ')}`,
      },
    )
    .describe('text POSTed as {"text": …}; may use {checklist}, {environment}, {phase}, {run_id}, {step}'),
  optional: z
    .boolean()
    .default(false)
    .describe('true: an unset variable skips the notification (passed, "skipped") instead of failing the step'),
  timeout: duration('timeout', { maxMs: 120_000 })
    .default(10_000)
    .describe('how long to wait for the 2xx answer, e.g. 10s (at most 2m; default 10s)'),
});

export type NotifySpec = z.infer<typeof schema>;

/**
 * `notify`: POSTs `{"text": message}` (Slack's incoming-webhook shape) to the URL
 * in an environment variable; passes on a 2xx answer.
 *
 * @example
 * - id: notify-devops
 *   kind: notify
 *   webhook_env: SLACK_WEBHOOK_URL
 *   message: "{checklist}: starting {phase} on {environment} (run {run_id})"
 */
export const notifyStep: StepKind<NotifySpec> = {
  kind: 'notify',
  schema,
  idempotent: false,
  mutates: false,
  rehearsable: false,
  describe(spec) {
    return {
      summary: `POST a message to the webhook in $${spec.webhook_env}${spec.optional ? ' (skipped when unset)' : ''}`,
      detail: `{"text": ${JSON.stringify(spec.message)}}`,
    };
  },
  async run(spec, context) {
    const expected = 'a 2xx answer from the webhook';
    const url = (context.env ?? process.env)[spec.webhook_env]?.trim();
    if (!url) {
      const message = `the environment variable ${spec.webhook_env} is not set`;
      return spec.optional
        ? {
            status: 'passed',
            expected,
            observed: { skipped: true, webhook_env: spec.webhook_env },
            message: `skipped: ${message}`,
          }
        : {
            status: 'failed',
            expected,
            observed: { webhook_env: spec.webhook_env },
            message: `${message}; set it or mark the step optional: true`,
          };
    }
    if (!/^https?:\/\//i.test(url)) {
      return {
        status: 'failed',
        expected,
        observed: { webhook_env: spec.webhook_env },
        message: `${spec.webhook_env} does not hold an http(s) URL`,
      };
    }
    const text = fillPlaceholders(spec.message, await placeholderValues(context));
    return post(url, text, spec, context.signal, expected);
  },
};

async function post(
  url: string,
  text: string,
  spec: NotifySpec,
  runSignal: AbortSignal,
  expected: string,
): Promise<StepOutcome> {
  const started = performance.now();
  const observedBase = { webhook_env: spec.webhook_env, message: text };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      signal: AbortSignal.any([runSignal, AbortSignal.timeout(spec.timeout)]),
      redirect: 'error',
    });
    await response.body?.cancel();
    const observed = {
      ...observedBase,
      http_status: response.status,
      duration_ms: Math.round(performance.now() - started),
    };
    return response.ok
      ? { status: 'passed', expected, observed, message: `notified (${response.status})` }
      : {
          status: 'failed',
          expected,
          observed,
          message: `the webhook answered ${response.status} ${response.statusText}`.trim(),
        };
  } catch (error) {
    if (runSignal.aborted) throw InterruptedError.duringStep('posting to the webhook');
    // fetch's errors can quote the URL, and the URL is the secret: describe the failure without it.
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${formatDuration(spec.timeout)}`
        : failureReason(error);
    return {
      status: 'failed',
      expected,
      observed: { ...observedBase, error: reason },
      message: `could not notify: ${reason}`,
    };
  }
}

function failureReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ? `connection failed (${cause.code})` : 'request failed';
}
