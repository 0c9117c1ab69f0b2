import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';

const readViolationCountSql = sqlFile(import.meta.url, './sql/read_violation_count.sql');
const deleteOffenderSql = sqlFile(import.meta.url, './sql/delete_offender.sql');

/** The key of one user_behaviors row. */
export interface OffenderKey {
  readonly organizationId: string;
  readonly platform: string;
  readonly platformUserId: string;
}

/** total_violations of the offender's row, or undefined when there is no row. */
export async function readViolationCount(db: Queryable, key: OffenderKey): Promise<number | undefined> {
  const { rows } = await db.query<{ total_violations: number }>(readViolationCountSql, keyParams(key));
  return rows[0]?.total_violations;
}

/** Deletes the offender's row; true when there was one. */
export async function deleteOffender(db: Queryable, key: OffenderKey): Promise<boolean> {
  const { rowCount } = await db.query(deleteOffenderSql, keyParams(key));
  return rowCount > 0;
}

function keyParams(key: OffenderKey): unknown[] {
  return [key.organizationId, key.platform, key.platformUserId];
}
