import type { Queryable } from '../../db/database.js';
import type { Platform } from '../platforms.js';
import { completeJob } from './completeJob.js';
import { type ClaimedJob, claimJobs, defaultRetryPolicy, failJob, type RetryPolicy } from './jobQueue.js';
import { assertSanctionRecordable } from './sanctions.js';

/**
 * What the worker calls to act on a platform. Real adapters (X, Discord, …
 * API clients) are outside this repository; tests pass fakes. `perform`
 * resolves when the platform accepted the action and rejects otherwise.
 */
export interface PlatformAdapter {
  perform(job: ClaimedJob): Promise<void>;
}

export type PlatformAdapters = Readonly<Partial<Record<Platform, PlatformAdapter>>>;

export interface WorkerPassOptions {
  /** Jobs claimed in one pass; they run concurrently. */
  readonly limit?: number;
  readonly retry?: RetryPolicy;
}

export interface WorkerPassResult {
  readonly claimed: number;
  readonly done: number;
  /** Failed attempts that will be retried. */
  readonly retried: number;
  /** Jobs failed for good. */
  readonly failed: number;
}

/**
 * One pass of the job worker: claim due jobs, run them on their platform's
 * adapter concurrently, complete or fail each. Completing a sanction job (block,
 * mute) sets the offender's flag in the same statement (completeJob). A failure
 * is recorded on the job (last_error, attempts, run_after) and never touches the
 * offender's behaviour. A sanction job whose payload could not be recorded is
 * failed for good before its platform is called: retrying cannot fix a payload.
 * A database error while completing is thrown once every job of the pass settled.
 *
 * @example
 * await runWorkerPass(db, { discord: discordAdapter }, { limit: 20 });
 */
export async function runWorkerPass(
  db: Queryable,
  adapters: PlatformAdapters,
  options: WorkerPassOptions = {},
): Promise<WorkerPassResult> {
  const jobs = await claimJobs(db, options.limit ?? 10);
  const retry = options.retry ?? defaultRetryPolicy;
  const settled = await Promise.allSettled(jobs.map((job) => runJob(db, adapters, job, retry)));
  const rejected = settled.find((outcome) => outcome.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
  const outcomes = settled.map((outcome) => (outcome as PromiseFulfilledResult<JobOutcome>).value);
  return {
    claimed: jobs.length,
    done: outcomes.filter((o) => o === 'done').length,
    retried: outcomes.filter((o) => o === 'queued').length,
    failed: outcomes.filter((o) => o === 'failed').length,
  };
}

type JobOutcome = 'done' | 'queued' | 'failed' | 'lost';

async function runJob(
  db: Queryable,
  adapters: PlatformAdapters,
  job: ClaimedJob,
  retry: RetryPolicy,
): Promise<JobOutcome> {
  try {
    assertSanctionRecordable(job);
  } catch (error) {
    const failed = await failJob(db, job, (error as Error).message, { ...retry, maxAttempts: 0 });
    return failed?.status ?? 'lost';
  }
  const adapter = adapters[job.platform as Platform];
  try {
    if (adapter === undefined) throw new Error(`no adapter for platform ${job.platform}`);
    await adapter.perform(job);
  } catch (error) {
    const failed = await failJob(db, job, error instanceof Error ? error.message : String(error), retry);
    return failed?.status ?? 'lost';
  }
  return (await completeJob(db, job)).completed ? 'done' : 'lost';
}
