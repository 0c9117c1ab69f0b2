import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { ScrapeTarget } from './scrape.js';

const envName = (field: string) =>
  z.string().regex(/^[A-Z_][A-Z0-9_]*$/, `${field} is the NAME of an environment variable, e.g. SHIELD_METRICS_URL`);

/**
 * Where the Shield API's Prometheus metrics are: both the URL and the token come from
 * environment variables (the token is a secret; the URL may carry one too).
 */
export const shieldMetricsSchema = z.strictObject({
  /** Variable holding the Shield API's URL (`/metrics` is appended unless the path already ends with it). */
  url_env: envName('url_env').describe("NAME of the variable holding the Shield API's URL (/metrics is appended unless the path ends with it)"),
  /** Variable holding the API's bearer token (`/metrics` needs it). */
  token_env: envName('token_env').optional().describe("NAME of the variable holding the API's bearer token, which /metrics needs (a secret: never printed)"),
  optional: z
    .boolean()
    .default(false)
    .describe('true: an unset url variable records the Shield figures as not measured instead of stopping the run'),
});

export type ShieldMetricsSpec = z.infer<typeof shieldMetricsSchema>;

export type ShieldSource = { readonly target: ScrapeTarget } | { readonly notMeasured: string };

/**
 * The scrape target from the run's environment. An unset variable the step needs is an
 * operator's mistake, not a failed check: it stops the run (resumable) rather than
 * failing the step, which with on_fail: rollback would roll the migration back.
 */
export function resolveShieldSource(spec: ShieldMetricsSpec | undefined, env: NodeJS.ProcessEnv, stepId: string): ShieldSource {
  if (spec === undefined) return { notMeasured: 'no shield_metrics in the step' };
  const raw = env[spec.url_env]?.trim();
  if (!raw) {
    if (spec.optional) return { notMeasured: `${spec.url_env} is not set` };
    throw new UsageError(`the environment variable ${spec.url_env} is not set: step ${stepId} reads the Shield API's metrics from it`, {
      hint: 'set it to the Shield API URL, or mark shield_metrics optional: true',
    });
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${spec.url_env} does not hold a URL (step ${stepId})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${spec.url_env} does not hold an http(s) URL (step ${stepId})`);
  if (!url.pathname.endsWith('/metrics')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/metrics`;
  const token = spec.token_env === undefined ? undefined : env[spec.token_env]?.trim();
  if (spec.token_env !== undefined && !token) {
    throw new UsageError(`the environment variable ${spec.token_env} is not set: step ${stepId} needs the Shield API token to read /metrics`);
  }
  return { target: { url, ...(token && { token }) } };
}
