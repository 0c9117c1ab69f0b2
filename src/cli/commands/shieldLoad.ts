import { type Command, InvalidArgumentError } from 'commander';
import { CheckFailedError } from '../../errors.js';
import { loadLimits, parseDuration } from '../../shield/load/loadOptions.js';
import type { LoadResult } from '../../shield/load/runLoad.js';
import { testOrganizationId } from '../../shield/operator/testOrganization.js';
import type { CliContext } from '../context.js';
import { type Output, printJson } from '../output.js';
import { positiveInteger, uuid } from '../options.js';

interface LoadCommandOptions {
  url: string;
  rate: number;
  duration: number;
  users: number;
  hotUser?: boolean;
  organizationId?: string;
  tokenEnv: string;
  connections?: number;
  allowRemote?: boolean;
  maxErrorRate: number;
  json?: boolean;
}

const loadHelp = `
Sends POST /v1/shield/actions at a fixed overall rate for a bounded time, one
generated comment per request (offenders spread over --users, or all on one with
--hot-user), and reports latency p50/p95/p99, throughput and errors. For test
targets only: the URL must be loopback unless --allow-remote names a deployment
you own. Limits: rate ≤ ${loadLimits.maxRate}/s, duration ≤ ${loadLimits.maxDurationSeconds} s.
Ctrl-C stops early and prints the figures so far.

Exit codes:
  0  the run completed with an error rate at or below --max-error-rate
  1  more errors (non-2xx or connection errors) than --max-error-rate allows
  2  bad flags (nothing was sent)

Example:
  shipcheck shield load --url http://127.0.0.1:8080 --rate 50 --duration 30s --users 20`;

/** Adds `shipcheck shield load` to the `shield` group: synthetic load on a Shield API. */
export function addShieldLoadCommand(shield: Command, context: CliContext): void {
  shield
    .command('load')
    .description('drive a Shield API with synthetic actions at a fixed rate and report latency and errors')
    .requiredOption('--url <url>', 'base URL of the Shield API, e.g. http://127.0.0.1:8080')
    .requiredOption(
      '--rate <n>',
      `requests per second (1-${loadLimits.maxRate})`,
      positiveInteger('--rate', loadLimits.maxRate),
    )
    .requiredOption('--duration <time>', 'how long: seconds, "30s" or "2m"', durationSeconds)
    .option('--users <n>', 'distinct offenders', positiveInteger('--users', loadLimits.maxUsers), 100)
    .option('--hot-user', 'every request for one offender (the lost-update worst case)')
    .option(
      '--organization-id <uuid>',
      `organization to write under (must exist; default ${testOrganizationId})`,
      uuid('--organization-id'),
    )
    .option('--token-env <name>', 'environment variable holding the API bearer token', 'SHIELD_API_TOKEN')
    .option(
      '--connections <n>',
      'HTTP connections (default: rate/10, 2-64)',
      positiveInteger('--connections', loadLimits.maxConnections),
    )
    .option('--allow-remote', 'allow a non-loopback URL: a test deployment of your own')
    .option('--max-error-rate <fraction>', 'exit 1 above this share of failed requests (0-1)', fraction, 0)
    .option('--json', 'machine-readable output')
    .addHelpText('after', loadHelp)
    .action(async (options: LoadCommandOptions) => {
      const token = context.env[options.tokenEnv]?.trim() || undefined;
      if (token === undefined)
        context.output.err(`note: ${options.tokenEnv} is not set; sending requests without a token`);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      let result: LoadResult;
      try {
        // Loaded here, not at start: autocannon would cost every other command's start-up.
        const { runLoad } = await import('../../shield/load/runLoad.js');
        result = await runLoad({
          url: options.url,
          rate: options.rate,
          durationSeconds: options.duration,
          users: options.users,
          hotUser: options.hotUser ?? false,
          ...(options.organizationId !== undefined && { organizationId: options.organizationId }),
          ...(token !== undefined && { token }),
          ...(options.connections !== undefined && { connections: options.connections }),
          allowRemote: options.allowRemote ?? false,
          signal: abort.signal,
        });
      } finally {
        process.off('SIGINT', stop);
      }
      if (options.json) printJson(context.output, result);
      else printLoadResult(context.output, result);
      // The figures are out first; main() then reports this one sentence and exits 1.
      if (result.errorRate > options.maxErrorRate) {
        throw new CheckFailedError(
          `error rate ${percent(result.errorRate)} is above the allowed ${percent(options.maxErrorRate)}`,
          {
            code: 'error_rate_exceeded',
          },
        );
      }
    });
}

function printLoadResult(output: Output, r: LoadResult): void {
  const who = r.hotUser ? 'one hot user' : `${r.users} users`;
  output.out(
    `load on ${r.target}: ${r.requestedRate} req/s requested, ${who}, ${r.connections} connections${r.stoppedEarly ? ' (stopped early)' : ''}`,
  );
  output.out(`  responses  ${r.responses} in ${r.durationSeconds} s (${r.throughput}/s)`);
  output.out(
    `  latency    p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
  );
  const statuses =
    Object.entries(r.statusCodes)
      .map(([code, count]) => `${code}×${count}`)
      .join(', ') || 'none';
  output.out(`  status     ${statuses}`);
  output.out(
    `  errors     ${r.non2xx} non-2xx, ${r.errors} without response (${r.timeouts} timeouts), error rate ${percent(r.errorRate)}`,
  );
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 10_000) / 100}%`;
}

function durationSeconds(raw: string): number {
  const seconds = parseDuration(raw);
  if (seconds === undefined || seconds < 1 || seconds > loadLimits.maxDurationSeconds) {
    throw new InvalidArgumentError(
      `--duration must be 1-${loadLimits.maxDurationSeconds} seconds ("30", "30s" or "2m"), got "${raw}"`,
    );
  }
  return seconds;
}

function fraction(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidArgumentError(`--max-error-rate must be a number between 0 and 1, got "${raw}"`);
  }
  return value;
}
