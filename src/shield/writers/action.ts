import { rpcWriter } from './rpc.js';
import type { BehaviourWriter } from './types.js';

/**
 * Migration 026's writer. Called on its own (operator tools, the race test) it is the
 * rpc writer; the Shield service sees `recordsWholeAction` and records the whole
 * action — violation, strikes, shield_actions rows, jobs, idempotency claim — in one
 * call of shield_record_action: one round trip, one transaction (wholeAction.ts).
 *
 * @example
 * const result = await executeActionsFromTags({ db, writer: writerFor('action') }, orgId, comment, tags);
 */
export const actionWriter: BehaviourWriter = {
  name: 'action',
  recordsWholeAction: true,
  recordViolation: (db, offender, violation) => rpcWriter.recordViolation(db, offender, violation),
  addStrikes: (db, offender, strikes, reason) => rpcWriter.addStrikes(db, offender, strikes, reason),
  recordViolationWithStrikes: (db, offender, violation, strikes) =>
    rpcWriter.recordViolationWithStrikes(db, offender, violation, strikes),
};
