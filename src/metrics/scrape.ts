import { ExitCode, ShipcheckError } from '../errors.js';

export interface ScrapeTarget {
  /** The metrics URL (e.g. http://127.0.0.1:8080/metrics). */
  readonly url: URL;
  /** Bearer token; never part of an error or a result. */
  readonly token?: string;
}

const scrapeTimeoutMs = 5000;

/**
 * GETs a Prometheus text exposition. Errors name the target by origin and path only
 * (no userinfo, no query string) and never the token.
 */
export async function scrape(target: ScrapeTarget, signal: AbortSignal): Promise<string> {
  const shown = describeTarget(target.url);
  let response: Response;
  try {
    response = await fetch(target.url, {
      headers: { accept: 'text/plain', ...(target.token !== undefined && { authorization: `Bearer ${target.token}` }) },
      signal: AbortSignal.any([signal, AbortSignal.timeout(scrapeTimeoutMs)]),
      redirect: 'error',
    });
  } catch (error) {
    if (signal.aborted) throw error;
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${scrapeTimeoutMs / 1000} s`
        : connectionFailure(error);
    throw scrapeError(`could not scrape ${shown}: ${reason}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const hint =
      response.status === 401 ? 'the token variable does not hold the token the API was started with' : undefined;
    throw scrapeError(`could not scrape ${shown}: HTTP ${response.status}`, hint);
  }
  return response.text();
}

/** origin + path: what may be shown of a metrics URL. */
export function describeTarget(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function connectionFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ? `connection failed (${cause.code})` : 'request failed';
}

function scrapeError(message: string, hint?: string): ShipcheckError {
  return new ShipcheckError(message, {
    code: 'metrics_unavailable',
    exitCode: ExitCode.checkFailed,
    ...(hint && { hint }),
  });
}
