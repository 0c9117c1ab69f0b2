import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { type LatencySummary, summarizeLatencies } from '../../metrics/latency.js';
import { actionBody, type BodyPlan } from './actionBodies.js';
import { type LoadOptions, resolveLoadOptions } from './loadOptions.js';

/** The figures of one load run: what a monitor step compares with its rollback criteria. */
export interface LoadResult {
  /** The endpoint hit, without credentials. */
  readonly target: string;
  readonly runId: string;
  readonly requestedRate: number;
  readonly connections: number;
  readonly users: number;
  readonly hotUser: boolean;
  /** Wall-clock seconds the run took. */
  readonly durationSeconds: number;
  /**
   * Responses received (any status). Requests still in flight when the duration ends
   * are not counted (autocannon drops them), though the server may still finish them.
   */
  readonly responses: number;
  /** Responses per second over the run. */
  readonly throughput: number;
  /** Nearest-rank percentiles of the observed response times, in ms. */
  readonly latencyMs: LatencySummary;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly non2xx: number;
  /** Connection errors and timeouts: requests that got no response at all. */
  readonly errors: number;
  readonly timeouts: number;
  /** (non-2xx + errors) / (responses + errors); 0 for an empty run. */
  readonly errorRate: number;
  readonly stoppedEarly: boolean;
}

/**
 * Sends POST /v1/shield/actions at a fixed overall rate for a bounded time, each body
 * generated per request (comment ids unique, offenders spread over `users` or one
 * `hotUser`), and returns latency percentiles, throughput and error counts.
 * For test targets only: the URL must be loopback unless `allowRemote`.
 *
 * @example
 * const result = await runLoad({ url: 'http://127.0.0.1:8080', rate: 50, durationSeconds: 10, token });
 * result.latencyMs.p95; // e.g. 4.1
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const resolved = resolveLoadOptions(options);
  const runId = randomBytes(4).toString('hex');
  const plan: BodyPlan = {
    organizationId: resolved.organizationId,
    users: resolved.users,
    hotUser: resolved.hotUser,
    runId,
  };
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let sent = 0;
  let stoppedEarly = false;

  const startedAt = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: resolved.target.origin,
        connections: resolved.connections,
        duration: resolved.durationSeconds,
        overallRate: resolved.rate,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: resolved.target.pathname,
            headers: {
              'content-type': 'application/json',
              ...(resolved.token !== undefined && { authorization: `Bearer ${resolved.token}` }),
            },
            setupRequest: (request) => ({ ...request, body: actionBody(plan, sent++) }),
          },
        ],
      },
      (error: unknown, done: autocannon.Result) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
    const stop = () => {
      stoppedEarly = true;
      instance.stop();
    };
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
  });
  const durationSeconds = (performance.now() - startedAt) / 1000;

  const responses = latencies.length;
  const non2xx = Object.entries(statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .reduce((total, [, count]) => total + count, 0);
  const errors = result.errors;
  const attempts = responses + errors;
  return {
    target: `${resolved.target.origin}${resolved.target.pathname}`,
    runId,
    requestedRate: resolved.rate,
    connections: resolved.connections,
    users: resolved.hotUser ? 1 : resolved.users,
    hotUser: resolved.hotUser,
    durationSeconds: round(durationSeconds),
    responses,
    throughput: round(responses / Math.max(durationSeconds, 0.001)),
    latencyMs: summarizeLatencies(latencies),
    statusCodes,
    non2xx,
    errors,
    timeouts: result.timeouts,
    errorRate: attempts === 0 ? 0 : round((non2xx + errors) / attempts, 4),
    stoppedEarly,
  };
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
