import type { Offender } from './types.js';

/** The offender as the writers' SQL takes it: $1 organization, $2 platform, $3 platform user id, $4 username. */
export function offenderParams(offender: Offender): unknown[] {
  return [offender.organizationId, offender.platform, offender.platformUserId, offender.platformUsername ?? null];
}
