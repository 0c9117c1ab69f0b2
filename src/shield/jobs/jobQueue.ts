import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';

const claimJobsSql = sqlFile(import.meta.url, '../sql/claim_jobs.sql');
const failJobSql = sqlFile(import.meta.url, '../sql/fail_job.sql');

/** Which job, and whose: a worker passes its ClaimedJob. */
export interface JobReference {
  readonly id: string;
  readonly organizationId: string;
}

/** A platform job a worker holds ('running') until it completes or fails it. */
export interface ClaimedJob {
  readonly id: string;
  readonly organizationId: string;
  readonly shieldActionId: string | null;
  readonly platform: string;
  /** The platform's action name (hide_reply, timeout_member, …). */
  readonly action: string;
  readonly payload: Readonly<Record<string, unknown>>;
  /** Including this one. */
  readonly attempts: number;
}

export interface RetryPolicy {
  /** Attempts before a job is failed for good. */
  readonly maxAttempts: number;
  /** First retry delay; doubles per attempt. */
  readonly backoffSeconds: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, backoffSeconds: 30 };

/** After this long in 'running' a job is presumed orphaned by a dead worker and claimed again. */
export const defaultStaleAfterSeconds = 300;

export interface FailedJob {
  readonly id: string;
  /** 'queued' when it will be retried, 'failed' when attempts are spent. */
  readonly status: 'queued' | 'failed';
  readonly attempts: number;
  readonly runAfter: Date;
}

interface JobRow {
  id: string;
  organization_id: string;
  shield_action_id: string | null;
  platform: string;
  action: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * Claims up to `limit` due jobs (FOR UPDATE SKIP LOCKED), oldest first.
 *
 * @example
 * for (const job of await claimJobs(db, 10)) await completeJob(db, job);
 */
export async function claimJobs(
  db: Queryable,
  limit: number,
  staleAfterSeconds = defaultStaleAfterSeconds,
): Promise<ClaimedJob[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const { rows } = await db.query<JobRow>(claimJobsSql, [limit, staleAfterSeconds]);
  return rows
    .map((row) => ({
      id: row.id,
      organizationId: row.organization_id,
      shieldActionId: row.shield_action_id,
      platform: row.platform,
      action: row.action,
      payload: row.payload,
      attempts: row.attempts,
    }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * Records a failed attempt: retried later with backoff, or failed for good. Null when the
 * job is not this caller's to fail: not running any more, or not of that organization.
 */
export async function failJob(
  db: Queryable,
  job: JobReference,
  error: string,
  policy: RetryPolicy = defaultRetryPolicy,
): Promise<FailedJob | null> {
  const { rows } = await db.query<{ id: string; status: 'queued' | 'failed'; attempts: number; run_after: Date }>(
    failJobSql,
    [job.id, error.slice(0, 1000), policy.maxAttempts, policy.backoffSeconds, job.organizationId],
  );
  const row = rows[0];
  return row === undefined ? null : { id: row.id, status: row.status, attempts: row.attempts, runAfter: row.run_after };
}
