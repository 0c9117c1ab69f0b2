import autocannon from 'autocannon';
import { summarizeLatencies, type LatencySummary } from '../../src/metrics/latency.js';

export interface HttpLoopResult {
  readonly requestsPerSecond: number;
  /** 2xx responses. */
  readonly succeeded: number;
  /** Non-2xx responses plus requests that got no response (connection errors, timeouts). */
  readonly errors: number;
  readonly latencyMs: LatencySummary;
}

/**
 * `connections` keep-alive connections each send the next POST as soon as the previous
 * reply arrives, for `seconds`: the closed loop the atomic bench runs, over HTTP.
 * (src/shield/load/runLoad is an open loop at a fixed rate with a mix of tag sets: the
 * right tool for a monitor step, not for comparing with a closed-loop reference.)
 * The target must be this machine.
 */
export async function autocannonLoop(options: {
  url: string;
  path: string;
  token: string;
  connections: number;
  seconds: number;
  body: (sequence: number) => string;
}): Promise<HttpLoopResult> {
  const host = new URL(options.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]')
    throw new Error('the HTTP bench only targets loopback');
  const latencies: number[] = [];
  let sequence = 0;
  let non2xx = 0;
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: options.path,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
            setupRequest: (request) => ({ ...request, body: options.body(sequence++) }),
          },
        ],
      },
      (error: unknown, done: autocannon.Result) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      else non2xx++;
    });
  });
  const elapsed = (performance.now() - started) / 1000;
  return {
    requestsPerSecond: Math.round((latencies.length / elapsed) * 10) / 10,
    succeeded: latencies.length,
    // autocannon counts timeouts among its errors.
    errors: non2xx + result.errors,
    latencyMs: summarizeLatencies(latencies),
  };
}
