import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { offenderParams } from './offenderParams.js';
import { toBehaviourSnapshot, toStrikeSnapshot } from './snapshots.js';
import type {
  BehaviourSnapshot,
  BehaviourWriter,
  Offender,
  StrikeRequest,
  StrikeSnapshot,
  Violation,
  ViolationRecord,
} from './types.js';

const recordViolationSql = sqlFile(import.meta.url, './sql/rpc_record_violation.sql');
const addStrikesSql = sqlFile(import.meta.url, './sql/rpc_add_strikes.sql');
const recordWithStrikesSql = sqlFile(import.meta.url, './sql/rpc_record_violation_with_strikes.sql');

/**
 * Migration 024's writer (M3): one round trip per call, the increment done inside the
 * database, so concurrent calls on one offender never lose an update. Input is not
 * checked here on purpose: the function is the one place that validates it (SQLSTATE
 * 22023 / 22P02, nothing written), and its errors surface as DatabaseError.
 *
 * @example
 * const snapshot = await rpcWriter.recordViolation(db, offender,
 *   { severity: 'medium', toxicityScore: 0.75, commentId: 'c1', actionTags: ['warning'] });
 */
export const rpcWriter: BehaviourWriter = {
  name: 'rpc',

  async recordViolation(db: Queryable, offender: Offender, violation: Violation): Promise<BehaviourSnapshot> {
    const { rows } = await db.query<{ result: unknown }>(recordViolationSql, [
      ...offenderParams(offender),
      violationData(violation),
    ]);
    return toBehaviourSnapshot(rows[0]?.result, 'atomic_update_user_behavior');
  },

  // The strikes ride in the violation's statement, so a Shield call with strike tags
  // still makes two round trips (this one and the batched actions insert), not three.
  async recordViolationWithStrikes(
    db: Queryable,
    offender: Offender,
    violation: Violation,
    strikes: readonly StrikeRequest[],
  ): Promise<ViolationRecord> {
    if (strikes.length === 0) return { behaviour: await this.recordViolation(db, offender, violation), strikes: [] };
    const { rows } = await db.query<{ result: unknown; strikes: unknown[] | null }>(recordWithStrikesSql, [
      ...offenderParams(offender),
      violationData(violation),
      strikes.map((s) => s.strikes),
      strikes.map((s) => s.reason),
    ]);
    const row = rows[0];
    return {
      behaviour: toBehaviourSnapshot(row?.result, 'atomic_update_user_behavior'),
      strikes: (row?.strikes ?? []).map((raw) => ({
        ok: true,
        snapshot: toStrikeSnapshot(raw, 'atomic_add_user_strike'),
      })),
    };
  },

  async addStrikes(db: Queryable, offender: Offender, strikes: 1 | 2, reason: string): Promise<StrikeSnapshot> {
    const { rows } = await db.query<{ result: unknown }>(addStrikesSql, [...offenderParams(offender), strikes, reason]);
    return toStrikeSnapshot(rows[0]?.result, 'atomic_add_user_strike');
  },
};

function violationData(violation: Violation): string {
  return JSON.stringify({
    severity: violation.severity,
    toxicity_score: violation.toxicityScore,
    comment_id: violation.commentId,
    action_tags: violation.actionTags,
  });
}
