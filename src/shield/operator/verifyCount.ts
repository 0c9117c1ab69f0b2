import type { Queryable } from '../../db/database.js';
import { assertOffenderInput, assertWholeNumberInRange } from './offenderInput.js';
import { readViolationCount } from './offenderRow.js';
import { resolveOrganization } from './testOrganization.js';

/**
 * `exact`: the row holds the expected count. `lost`: fewer (updates were lost).
 * `extra`: more (something else wrote too). `missing`: no row at all, every update lost.
 */
export type CountStatus = 'exact' | 'lost' | 'extra' | 'missing';

export interface CountVerification {
  readonly organizationId: string;
  readonly platform: string;
  readonly platformUserId: string;
  readonly expected: number;
  /** total_violations of the row; 0 when the row is missing. */
  readonly actual: number;
  readonly status: CountStatus;
  /** actual − expected: negative when updates were lost, positive when there are extra ones. */
  readonly difference: number;
}

export interface VerifyCountOptions {
  /** Omitted: the test organization (never created here: this check only reads). Given: it must exist. */
  readonly organizationId?: string | undefined;
  readonly platform: string;
  readonly platformUserId: string;
  readonly expected: number;
}

/**
 * The seed's "Verify Count Accuracy": compares an offender's total_violations with
 * the number of violations that should have been recorded. Read-only.
 *
 * @example
 * const check = await verifyBehaviourCount(db, { platform: 'twitter', platformUserId: 'u1', expected: 5 });
 * check.status // 'exact' | 'lost' | 'extra' | 'missing'
 */
export async function verifyBehaviourCount(db: Queryable, options: VerifyCountOptions): Promise<CountVerification> {
  assertOffenderInput(options);
  assertWholeNumberInRange('expected count', options.expected, 0, Number.MAX_SAFE_INTEGER);
  const organization = await resolveOrganization(db, { organizationId: options.organizationId, create: false });
  const key = { organizationId: organization.id, platform: options.platform, platformUserId: options.platformUserId };
  const count = await readViolationCount(db, key);
  const actual = count ?? 0;
  return {
    ...key,
    expected: options.expected,
    actual,
    status: countStatus(options.expected, count),
    difference: actual - options.expected,
  };
}

function countStatus(expected: number, count: number | undefined): CountStatus {
  // A missing row is exact only when nothing was expected.
  if (count === undefined) return expected === 0 ? 'exact' : 'missing';
  if (count === expected) return 'exact';
  return count < expected ? 'lost' : 'extra';
}
