import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { UsageError } from '../../errors.js';

const organizationExistsSql = sqlFile(import.meta.url, './sql/organization_exists.sql');
const ensureTestOrganizationSql = sqlFile(import.meta.url, './sql/ensure_test_organization.sql');

/** The seed's manual RPC test uses this id; operator tools default to it. */
export const testOrganizationId = '00000000-0000-0000-0000-000000000001';
export const testOrganizationName = 'shipcheck test organization';

export interface ResolvedOrganization {
  readonly id: string;
  /** True when this call created the test organization. */
  readonly created: boolean;
}

/**
 * The organization an operator tool writes under. Without an explicit id it is the
 * test organization, created when missing (`create: true`); an explicit id must
 * already exist — operator tools never invent a real tenant.
 *
 * @example
 * const { id } = await resolveOrganization(db, { create: true });
 */
export async function resolveOrganization(
  db: Queryable,
  options: { organizationId?: string | undefined; create: boolean },
): Promise<ResolvedOrganization> {
  if (options.organizationId !== undefined) {
    await assertOrganizationExists(db, options.organizationId);
    return { id: options.organizationId, created: false };
  }
  if (!options.create) return { id: testOrganizationId, created: false };
  const { rowCount } = await db.query(ensureTestOrganizationSql, [testOrganizationId, testOrganizationName]);
  return { id: testOrganizationId, created: rowCount === 1 };
}

async function assertOrganizationExists(db: Queryable, organizationId: string): Promise<void> {
  const { rows } = await db.query<{ exists: boolean }>(organizationExistsSql, [organizationId]);
  if (!rows[0]?.exists) {
    throw new UsageError(`organization ${organizationId} does not exist in this database`, {
      hint: 'omit --org-id to use the test organization 00000000-0000-0000-0000-000000000001 (created when missing)',
    });
  }
}
