import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';

const draftFunctionSql = sqlFile(import.meta.url, './sql/draft_atomic_update_user_behavior.sql');

/** What `--break` deploys, in one sentence for the run log and the summary. */
export const faultDescription =
  'demo --break: deployed the pre-review draft of atomic_update_user_behavior (same signature, grants and security; ' +
  'a read-modify-write body that loses concurrent updates)';

/**
 * `shipcheck demo --break`: replaces migration 024's function with its draft, a
 * read-modify-write that passes the verify script, the contract and a single call,
 * and loses updates as soon as two callers overlap (see the SQL file for why).
 */
export async function deployDraftFunction(db: Queryable): Promise<void> {
  await db.query(draftFunctionSql);
}
