import type { Queryable } from '../../db/database.js';
import type { Platform } from '../platforms.js';
import { type ClaimedJob, claimJobs, completeJob, defaultRetryPolicy, failJob, type RetryPolicy } from './jobQueue.js';

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
 * adapter concurrently, complete or fail each. A failure is recorded on the job
 * (last_error, attempts, run_after) and never touches the offender's behaviour.
 *
 * @example
 * await runWorkerPass(db, { discord: discordAdapter }, { limit: 20 });
 */
export async function runWorkerPass(db: Queryable, adapters: PlatformAdapters, options: WorkerPassOptions = {}): Promise<WorkerPassResult> {
  const jobs = await claimJobs(db, options.limit ?? 10);
  const retry = options.retry ?? defaultRetryPolicy;
  const outcomes = await Promise.all(jobs.map((job) => runJob(db, adapters, job, retry)));
  return {
    claimed: jobs.length,
    done: outcomes.filter((o) => o === 'done').length,
    retried: outcomes.filter((o) => o === 'queued').length,
    failed: outcomes.filter((o) => o === 'failed').length,
  };
}

async function runJob(db: Queryable, adapters: PlatformAdapters, job: ClaimedJob, retry: RetryPolicy): Promise<'done' | 'queued' | 'failed' | 'lost'> {
  const adapter = adapters[job.platform as Platform];
  try {
    if (adapter === undefined) throw new Error(`no adapter for platform ${job.platform}`);
    await adapter.perform(job);
  } catch (error) {
    const failed = await failJob(db, job.id, error instanceof Error ? error.message : String(error), retry);
    return failed?.status ?? 'lost';
  }
  return (await completeJob(db, job.id)) ? 'done' : 'lost';
}
