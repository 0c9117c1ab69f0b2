import { UsageError } from '../../errors.js';
import { isLoopbackHost } from '../http/loopback.js';
import { testOrganizationId } from '../operator/testOrganization.js';

/** Bounds that keep a load run a test, not an attack: count and time are both capped. */
export const loadLimits = {
  maxRate: 2_000,
  maxDurationSeconds: 900,
  maxUsers: 100_000,
  maxConnections: 200,
} as const;

export interface LoadOptions {
  /** Base URL of a Shield API (http://127.0.0.1:8080); the path is /v1/shield/actions. */
  readonly url: string;
  /** Requests per second across all connections. */
  readonly rate: number;
  readonly durationSeconds: number;
  /** Distinct offenders the comments come from. */
  readonly users?: number;
  /** Every request hits one offender: the lost-update worst case. */
  readonly hotUser?: boolean;
  readonly organizationId?: string;
  /** Sent as a bearer token; never part of the result. */
  readonly token?: string;
  readonly connections?: number;
  /** Targets other than loopback only when the caller says the target is its own test deployment. */
  readonly allowRemote?: boolean;
  /** Stops the run early; the figures so far are returned. */
  readonly signal?: AbortSignal;
}

export interface ResolvedLoadOptions {
  readonly target: URL;
  readonly rate: number;
  readonly durationSeconds: number;
  readonly users: number;
  readonly hotUser: boolean;
  readonly organizationId: string;
  readonly token: string | undefined;
  readonly connections: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks every option at once and reports all problems in one UsageError. */
export function resolveLoadOptions(options: LoadOptions): ResolvedLoadOptions {
  const problems: string[] = [];
  let target: URL | undefined;
  try {
    target = new URL('/v1/shield/actions', options.url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      problems.push(`--url must be http(s), got ${target.protocol}`);
    if (target.username || target.password) problems.push('--url must not carry credentials: use --token-env');
    if (!options.allowRemote && !isLoopbackHost(target.hostname)) {
      problems.push(
        `--url must point at this machine (loopback), not ${target.hostname}: the load generator is for test targets`,
      );
    }
  } catch {
    problems.push(`--url is not a URL: "${options.url.slice(0, 80)}"`);
  }
  const rate = options.rate;
  const users = options.users ?? 100;
  const connections = options.connections ?? defaultConnections(rate);
  checkRange(problems, '--rate', rate, 1, loadLimits.maxRate);
  checkRange(problems, '--duration (seconds)', options.durationSeconds, 1, loadLimits.maxDurationSeconds);
  checkRange(problems, '--users', users, 1, loadLimits.maxUsers);
  checkRange(problems, '--connections', connections, 1, loadLimits.maxConnections);
  const organizationId = options.organizationId ?? testOrganizationId;
  if (!uuidPattern.test(organizationId))
    problems.push(`--organization-id must be a uuid, got "${organizationId.slice(0, 60)}"`);
  if (problems.length > 0 || target === undefined) {
    throw new UsageError(problems.length === 1 ? problems[0]! : `${problems.length} problems with the load options`, {
      ...(problems.length > 1 && { detail: problems.join('; ') }),
    });
  }
  return {
    target,
    rate,
    durationSeconds: options.durationSeconds,
    users,
    hotUser: options.hotUser ?? false,
    organizationId: organizationId.toLowerCase(),
    token: options.token,
    connections,
  };
}

/** "30", "30s", "2m" → seconds; undefined when it is none of those. */
export function parseDuration(raw: string): number | undefined {
  const match = /^(\d+)(s|m)?$/.exec(raw.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

// Enough connections that a few slow responses do not hold the rate down, few enough for a 2-core box.
function defaultConnections(rate: number): number {
  return Math.min(64, Math.max(2, Math.ceil(rate / 10)));
}

function checkRange(problems: string[], name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number between ${min} and ${max}, got ${value}`);
  }
}
