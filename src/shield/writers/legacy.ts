/**
 * The pre-024 writer, kept ONLY to demonstrate the lost-update race side by side with
 * the rpc writer (`shipcheck shield concurrent --writer legacy`). DO NOT use it in
 * production: it reads the row, computes new absolute values in the application and
 * writes them back without a lock, so two concurrent calls that read the same row
 * both write "old + 1" and one increment is lost.
 */
import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { ShipcheckError, UsageError } from '../../errors.js';
import { type StoredBehaviour, emptyBehaviour, nextBehaviour, severities } from './legacyState.js';
import { offenderParams } from './offenderParams.js';
import { toBehaviourSnapshot, toStrikeSnapshot } from './snapshots.js';
import type {
  BehaviourSnapshot,
  BehaviourWriter,
  Offender,
  StrikeAttempt,
  StrikeRequest,
  StrikeSnapshot,
  Violation,
  ViolationRecord,
} from './types.js';

const readBehaviourSql = sqlFile(import.meta.url, './sql/legacy_read_behaviour.sql');
const writeBehaviourSql = sqlFile(import.meta.url, './sql/legacy_write_behaviour.sql');
const writeStrikesSql = sqlFile(import.meta.url, './sql/legacy_write_strikes.sql');

interface StoredRow {
  total_violations: number;
  severity_counts: Record<string, number>;
  actions_taken: unknown[];
  strikes: number;
}

export const legacyWriter: BehaviourWriter = {
  name: 'legacy',

  async recordViolation(db: Queryable, offender: Offender, violation: Violation): Promise<BehaviourSnapshot> {
    // The original code trusted its input; this guard only keeps a demo from writing a bogus severity key.
    if (!severities.includes(violation.severity)) {
      throw new UsageError(`severity must be one of ${severities.join(', ')}, got "${String(violation.severity)}"`);
    }
    const stored = await readStored(db, offender);
    const now = new Date();
    const next = nextBehaviour(stored ?? emptyBehaviour, violation, now);
    const { rows } = await db.query(writeBehaviourSql, [
      ...offenderParams(offender),
      next.totalViolations,
      JSON.stringify(next.severityCounts),
      JSON.stringify(next.actionsTaken),
      now,
    ]);
    return toBehaviourSnapshot(rows[0], 'legacy writer');
  },

  async addStrikes(db: Queryable, offender: Offender, strikes: 1 | 2, _reason: string): Promise<StrikeSnapshot> {
    const stored = await readStored(db, offender);
    const { rows } = await db.query(writeStrikesSql, [
      ...offenderParams(offender),
      (stored?.strikes ?? 0) + strikes,
      new Date(),
    ]);
    return toStrikeSnapshot(rows[0], 'legacy writer');
  },

  // As the original did it: one round trip after another, so a strike can fail after the violation was counted.
  async recordViolationWithStrikes(
    db: Queryable,
    offender: Offender,
    violation: Violation,
    strikes: readonly StrikeRequest[],
  ): Promise<ViolationRecord> {
    const behaviour = await this.recordViolation(db, offender, violation);
    const attempts: StrikeAttempt[] = [];
    for (const strike of strikes) {
      try {
        attempts.push({ ok: true, snapshot: await this.addStrikes(db, offender, strike.strikes, strike.reason) });
      } catch (error) {
        if (!(error instanceof ShipcheckError)) throw error;
        attempts.push({ ok: false, error });
      }
    }
    return { behaviour, strikes: attempts };
  },
};

async function readStored(
  db: Queryable,
  offender: Offender,
): Promise<(StoredBehaviour & { strikes: number }) | undefined> {
  const { rows } = await db.query<StoredRow>(readBehaviourSql, [
    offender.organizationId,
    offender.platform,
    offender.platformUserId,
  ]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    totalViolations: row.total_violations,
    severityCounts: row.severity_counts,
    actionsTaken: row.actions_taken,
    strikes: row.strikes,
  };
}
