import { UsageError } from '../../errors.js';
import { actionWriter } from './action.js';
import { legacyWriter } from './legacy.js';
import { rpcWriter } from './rpc.js';
import type { BehaviourWriter } from './types.js';

export type WriterName = BehaviourWriter['name'];
export const writerNames: readonly WriterName[] = ['rpc', 'legacy', 'action'];

const writers: Readonly<Record<WriterName, BehaviourWriter>> = {
  rpc: rpcWriter,
  legacy: legacyWriter,
  action: actionWriter,
};

/**
 * The writer registered under `name`: `rpc` (migration 024, the one to use) or
 * `legacy` (pre-024 read-modify-write, for demonstrating the race only), or `action`
 * (migration 026: the Shield service records a whole action in one call and one transaction).
 *
 * @example
 * const writer = writerFor('rpc');
 */
export function writerFor(name: string): BehaviourWriter {
  if (!isWriterName(name)) {
    throw new UsageError(`unknown behaviour writer "${name}": use one of ${writerNames.join(', ')}`);
  }
  return writers[name];
}

export function isWriterName(name: string): name is WriterName {
  return (writerNames as readonly string[]).includes(name);
}

export type {
  BehaviourSnapshot,
  BehaviourWriter,
  Offender,
  StrikeAttempt,
  StrikeRequest,
  StrikeSnapshot,
  Violation,
  ViolationRecord,
} from './types.js';
