import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import type { PlannedAction } from './actionPlan.js';
import type { OffenseLevel } from './offenseLevel.js';
import type { ActionStatus } from './result.js';
import type { ShieldTag } from './tags.js';
import type { Offender, Severity } from './writers/types.js';

const insertActionsSql = sqlFile(import.meta.url, './sql/insert_actions.sql');

/** Facts every row of one batch shares. */
export interface BatchContext {
  readonly offender: Offender;
  readonly commentId: string;
  readonly severity: Severity;
  readonly offenseLevel: OffenseLevel;
  /** The caller's metadata, kept on every row for the audit. */
  readonly requestMetadata: Readonly<Record<string, unknown>>;
  readonly writer: string;
}

export interface StoredAction {
  readonly id: string;
  readonly tag: ShieldTag;
  readonly status: ActionStatus;
  readonly reason: string | null;
  readonly platformAction: string | null;
  readonly jobId: string | null;
}

/** A shield_actions row as insert_actions.sql and shield_record_action return it. */
export interface StoredRow {
  id: string;
  action_tag: ShieldTag;
  status: ActionStatus;
  reason: string | null;
  platform_action: string | null;
  job_id: string | null;
}

/**
 * Writes all rows of one comment and queues their platform jobs in one
 * statement (one round trip), in plan order.
 *
 * @example
 * const stored = await storeActions(db, context, planActions(tags, planContext));
 */
export async function storeActions(
  db: Queryable,
  context: BatchContext,
  plan: readonly PlannedAction[],
): Promise<StoredAction[]> {
  const rows = plan.map((action, ordinal) => ({
    ordinal,
    platform: context.offender.platform,
    platform_user_id: context.offender.platformUserId,
    platform_username: context.offender.platformUsername ?? null,
    comment_id: context.commentId,
    action_tag: action.tag,
    platform_action: action.platformAction,
    severity: context.severity,
    offense_level: context.offenseLevel,
    disposition: action.disposition,
    reason: action.reason,
    metadata: { request: context.requestMetadata, writer: context.writer, ...action.details },
    job_payload: action.jobPayload,
  }));
  const { rows: stored } = await db.query<StoredRow>(insertActionsSql, [
    context.offender.organizationId,
    JSON.stringify(rows),
  ]);
  const byTag = new Map(stored.map((row) => [row.action_tag, row]));
  return plan.map((action) => {
    const row = byTag.get(action.tag);
    // One statement writes all rows or none, so a missing row is a bug, not a database failure.
    if (row === undefined) throw new Error(`the batched insert returned no row for tag ${action.tag}`);
    return storedAction(row);
  });
}

/** The service's view of a stored row. */
export function storedAction(row: StoredRow): StoredAction {
  return {
    id: row.id,
    tag: row.action_tag,
    status: row.status,
    reason: row.reason,
    platformAction: row.platform_action,
    jobId: row.job_id,
  };
}
