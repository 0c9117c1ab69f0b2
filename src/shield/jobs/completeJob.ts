import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { UsageError } from '../../errors.js';
import type { JobReference } from './jobQueue.js';
import { maxMuteSeconds, platformSanctions, type Sanction } from './sanctions.js';

const completeJobSql = sqlFile(import.meta.url, '../sql/complete_job.sql');
const sanctionsParameter = JSON.stringify(platformSanctions);
const uuidPattern = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const maxBigint = 2n ** 63n - 1n;

/** The offender's flags after a sanction job completed, as the same statement left them. */
export interface SanctionState {
  readonly sanction: Sanction;
  readonly isBlocked: boolean;
  readonly isMutedPermanent: boolean;
  readonly mutedUntil: Date | null;
}

export type JobCompletion =
  | { readonly completed: true; readonly sanction: SanctionState | null }
  /**
   * The job was no longer this caller's: another worker reclaimed it, or it was settled already. Nothing
   * was written. `status` is what the statement's snapshot saw: it still reads 'running' when another
   * caller settled the job at the same moment.
   */
  | { readonly completed: false; readonly status: string };

interface CompletionRow {
  same_organization: boolean;
  status_before: string;
  sanction: Sanction | null;
  problem: string | null;
  completed: boolean;
  is_blocked: boolean | null;
  is_muted_permanent: boolean | null;
  muted_until: Date | null;
}

/**
 * Marks a claimed job done and, when its action sanctions the offender (a block,
 * a permanent or a timed mute: docs/shield-service.md), sets the flag on the
 * offender's user_behaviors row in the same statement. An unknown job, another
 * organization's job, or a sanction job whose payload cannot say whom or how
 * long throws a UsageError, and nothing is written.
 *
 * @example
 * const outcome = await completeJob(db, job); // job from claimJobs
 * if (outcome.completed && outcome.sanction?.isBlocked) …
 */
export async function completeJob(db: Queryable, job: JobReference): Promise<JobCompletion> {
  checkReference(job);
  const { rows } = await db.query<CompletionRow>(completeJobSql, [
    job.id,
    job.organizationId,
    sanctionsParameter,
    maxMuteSeconds,
  ]);
  const row = rows[0];
  if (row === undefined) throw new UsageError(`job ${job.id} does not exist`, { code: 'job_not_found' });
  if (!row.same_organization) {
    throw new UsageError(`job ${job.id} is not a job of organization ${job.organizationId}`, {
      code: 'job_other_organization',
      hint: 'complete a job with the organization it was queued for',
    });
  }
  if (row.problem !== null) {
    throw new UsageError(`job ${job.id} ${row.problem}, so its ${row.sanction} cannot be recorded`, {
      code: 'job_payload_invalid',
    });
  }
  if (!row.completed) return { completed: false, status: row.status_before };
  return {
    completed: true,
    sanction:
      row.sanction === null
        ? null
        : {
            sanction: row.sanction,
            isBlocked: row.is_blocked === true,
            isMutedPermanent: row.is_muted_permanent === true,
            mutedUntil: row.muted_until,
          },
  };
}

/** Refused before any round trip: the casts in the statement would only say "invalid input syntax". */
function checkReference(job: JobReference): void {
  if (typeof job.id !== 'string' || !/^[1-9][0-9]{0,18}$/.test(job.id) || BigInt(job.id) > maxBigint) {
    throw new UsageError(
      `job id must be a positive whole number, got ${JSON.stringify(job.id)?.slice(0, 40) ?? 'nothing'}`,
      {
        code: 'job_id_invalid',
      },
    );
  }
  if (typeof job.organizationId !== 'string' || !uuidPattern.test(job.organizationId)) {
    throw new UsageError(
      `organization id must be a uuid, got ${JSON.stringify(job.organizationId)?.slice(0, 60) ?? 'nothing'}`,
      {
        code: 'organization_id_invalid',
      },
    );
  }
}
