import { approvalStep } from './approval.js';
import { backupStep } from './backup.js';
import { baselineStep } from './baseline.js';
import { commandStep } from './command.js';
import { concurrencyStep } from './concurrency.js';
import { contractStep } from './contract.js';
import { gateStep } from './gate.js';
import { lintStep } from './lint.js';
import { migrateStep } from './migrate.js';
import { monitorStep } from './monitor.js';
import { notifyStep } from './notify.js';
import { rollbackStep } from './rollback.js';
import { rpcStep } from './rpc.js';
import { sqlStep } from './sql.js';
import type { StepKind } from './types.js';

/**
 * Every step kind the checklist format knows, one line each (node-pg-migrate's
 * operations/ pattern). Adding a kind: one import above, one line here.
 */
// biome-ignore lint/suspicious/noExplicitAny: each kind has its own Spec type
export const stepKinds: readonly StepKind<any>[] = [
  approvalStep,
  gateStep,
  rollbackStep,
  sqlStep,
  migrateStep,
  contractStep,
  rpcStep,
  concurrencyStep,
  commandStep,
  notifyStep,
  baselineStep,
  monitorStep,
  backupStep,
  lintStep,
];

/** Kind name → module. The loader and the runner take one, so tests can add test-only kinds. */
export type StepRegistry = ReadonlyMap<string, StepKind<unknown>>;

/** @example const registry = createRegistry([...stepKinds, slowTestStep]); */
// biome-ignore lint/suspicious/noExplicitAny: each kind has its own Spec type
export function createRegistry(kinds: readonly StepKind<any>[] = stepKinds): StepRegistry {
  const registry = new Map<string, StepKind<unknown>>();
  for (const kind of kinds) {
    if (registry.has(kind.kind)) throw new Error(`step kind "${kind.kind}" is registered twice`);
    registry.set(kind.kind, kind as StepKind<unknown>);
  }
  return registry;
}

export const defaultRegistry: StepRegistry = createRegistry();
