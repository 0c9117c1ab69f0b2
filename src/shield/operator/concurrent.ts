import { randomBytes } from 'node:crypto';
import { Database } from '../../db/database.js';
import { writerFor, type WriterName } from '../writers/index.js';
import type { Offender, Violation } from '../writers/types.js';
import { runBurst, type GroupedError } from '../../db/burst.js';
import { type LatencySummary, summarizeLatencies } from '../../metrics/latency.js';
import { assertOffenderInput, assertWholeNumberInRange, limits } from './offenderInput.js';
import { deleteOffender, readViolationCount } from './offenderRow.js';
import { resolveOrganization } from './testOrganization.js';

export interface ConcurrentActionsOptions {
  /** Omitted: the test organization, created when missing. Given: it must exist. */
  readonly organizationId?: string | undefined;
  readonly platform: string;
  readonly platformUserId: string;
  /** How many recordViolation calls to fire at once (1..10000). */
  readonly actions: number;
  readonly writer?: WriterName;
  /** Pool size for the burst; default min(actions, 20). */
  readonly connections?: number | undefined;
  /** Delete the offender's row first, so the count afterwards is exactly `actions` (the seed's follow-up check). */
  readonly reset?: boolean;
  /** Delete the offender's row at the end. Off by default: a later verify-count needs it. */
  readonly cleanup?: boolean;
}

/**
 * `clean`: every call succeeded and every one of them shows in the count.
 * `lost_updates`: the count grew by less than the calls that succeeded.
 * `failed_calls`: some calls failed (nothing was lost among those that succeeded).
 * `extra_updates`: the count grew by more: something else wrote to this offender meanwhile.
 */
export type ConcurrencyVerdict = 'clean' | 'lost_updates' | 'failed_calls' | 'extra_updates';

export interface ConcurrentActionsResult {
  readonly writer: WriterName;
  readonly organizationId: string;
  readonly platform: string;
  readonly platformUserId: string;
  readonly connections: number;
  readonly requested: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly errors: readonly GroupedError[];
  readonly countBefore: number;
  readonly countAfter: number;
  /** countAfter − countBefore: the increments that actually landed. */
  readonly applied: number;
  /** succeeded − applied: increments reported as done that the row does not show. */
  readonly lost: number;
  /** Time on the connection per successful call (excludes waiting for a free connection). */
  readonly latencyMs: LatencySummary;
  readonly wallMs: number;
  /** Database round trips per action during the burst (rpc: 1, legacy: 2). */
  readonly roundTripsPerAction: number;
  readonly reset: boolean;
  readonly cleanedUp: boolean;
  readonly verdict: ConcurrencyVerdict;
}

/**
 * Fires `actions` simultaneous violations at one offender and counts whether each
 * one landed: the seed's "Run Concurrent Actions Test", done so it can fail.
 * It never deletes the row afterwards unless `cleanup` is set, so the seed's next
 * step (`verify-count --expected-count N`) finds what this one wrote.
 *
 * @example
 * const result = await runConcurrentActions(process.env.DATABASE_URL!, {
 *   platform: 'twitter', platformUserId: 'test_concurrent_staging', actions: 5, reset: true,
 * });
 * if (result.verdict !== 'clean') console.error(`${result.lost} updates lost`);
 */
export async function runConcurrentActions(
  connectionString: string,
  options: ConcurrentActionsOptions,
): Promise<ConcurrentActionsResult> {
  assertOffenderInput(options);
  assertWholeNumberInRange('actions', options.actions, 1, limits.maxActions);
  const connections = options.connections ?? Math.min(options.actions, 20);
  assertWholeNumberInRange('connections', connections, 1, limits.maxConnections);
  const writer = writerFor(options.writer ?? 'rpc');

  const db = Database.connect(connectionString, { max: connections, applicationName: 'shipcheck shield concurrent' });
  try {
    const organization = await resolveOrganization(db, { organizationId: options.organizationId, create: true });
    const offender: Offender = {
      organizationId: organization.id,
      platform: options.platform,
      platformUserId: options.platformUserId,
      platformUsername: options.platformUserId,
    };
    if (options.reset) await deleteOffender(db, offender);
    const countBefore = (await readViolationCount(db, offender)) ?? 0;

    const runTag = randomBytes(4).toString('hex');
    const roundTripsBefore = db.roundTrips;
    const burstOptions = { calls: options.actions, connections, secrets: [connectionString] };
    const burst = await runBurst(db, burstOptions, (client, i) =>
      writer.recordViolation(client, offender, concurrentViolation(runTag, i)),
    );
    const burstRoundTrips = db.roundTrips - roundTripsBefore;

    const countAfter = (await readViolationCount(db, offender)) ?? 0;
    const cleanedUp = options.cleanup ? await deleteOffender(db, offender) : false;
    const applied = countAfter - countBefore;
    const lost = burst.succeeded - applied;
    return {
      writer: writer.name,
      organizationId: organization.id,
      platform: options.platform,
      platformUserId: options.platformUserId,
      connections,
      requested: options.actions,
      succeeded: burst.succeeded,
      failed: burst.failed,
      errors: burst.errors,
      countBefore,
      countAfter,
      applied,
      lost,
      latencyMs: summarizeLatencies(burst.latenciesMs),
      wallMs: Math.round(burst.wallMs * 100) / 100,
      // The pool warm-up holds connections without querying, so every round trip counted belongs to a call.
      roundTripsPerAction: Math.round((burstRoundTrips / options.actions) * 100) / 100,
      reset: options.reset ?? false,
      cleanedUp,
      verdict: lost > 0 ? 'lost_updates' : lost < 0 ? 'extra_updates' : burst.failed > 0 ? 'failed_calls' : 'clean',
    };
  } finally {
    await db.close();
  }
}

/** The seed's manual RPC test payload, with a comment id of its own per call. */
function concurrentViolation(runTag: string, index: number): Violation {
  return {
    severity: 'medium',
    toxicityScore: 0.75,
    commentId: `shipcheck-concurrent-${runTag}-${index + 1}`,
    actionTags: ['warning'],
  };
}
