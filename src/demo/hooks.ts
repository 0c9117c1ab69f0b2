import { setTimeout as sleep } from 'node:timers/promises';
import type { StepContext } from '../steps/types.js';
import type { DemoHooks } from './demoRegistry.js';
import { deployDraftFunction, faultDescription } from './fault.js';
import type { ShieldUnderLoad } from './shieldUnderLoad.js';

/** Longer than any request takes under the demo's load (p99 well under 200 ms). */
const drainMs = 1000;

export interface RolloutHookOptions {
  readonly shield: ShieldUnderLoad;
  /** Staging: the app branch goes live right after the migration. Production waits for the merge. */
  readonly switchAfterMigration: boolean;
  /** --break: the draft function is what got deployed. */
  readonly deployDraft: boolean;
}

/**
 * What happens around the checklist's steps in a real rollout, done by the demo:
 * - the migration is applied while Shield serves traffic (its failures meanwhile are counted);
 * - on staging the app change goes live right after it (Shield's writer: legacy → rpc);
 * - with --break, the function that went live is the read-modify-write draft;
 * - before a rollback drops the function, the app goes back to the legacy writer first,
 *   and lets the requests still on rpc finish, so no request calls a function being dropped.
 */
export function rolloutHooks(options: RolloutHookOptions): DemoHooks {
  const { shield } = options;
  let migrationWindow: { close(): void } | undefined;
  return {
    async before(context, step) {
      if (step.kind === 'migrate') migrationWindow = await shield.openWindow(`migration (${step.id})`);
      if (step.kind === 'rollback' && revertsMigration(step.spec) && shield.writer === 'rpc') {
        await switchWriter(context, shield, 'legacy', 'app rolled back first');
        // A request reads the writer once when it starts: one that began on rpc just before
        // the switch still calls the functions. Dropping them under it fails that request.
        await sleep(drainMs, undefined, { signal: context.signal }).catch(() => {});
        context.progress(
          `demo: waited ${drainMs} ms for requests still on the rpc writer to finish before dropping the function`,
        );
      }
    },
    async afterPassed(context, step) {
      if (step.kind !== 'migrate') return;
      migrationWindow?.close();
      if (options.deployDraft) {
        await deployDraftFunction(context.environment.db);
        context.progress(faultDescription);
      }
      if (options.switchAfterMigration) await switchWriter(context, shield, 'rpc', 'app change deployed');
    },
  };
}

async function switchWriter(
  context: StepContext,
  shield: ShieldUnderLoad,
  to: 'rpc' | 'legacy',
  why: string,
): Promise<void> {
  const result = await shield.switchWriter(to);
  context.progress(`demo (${why}): ${result.message}`);
}

function revertsMigration(spec: unknown): boolean {
  return (
    typeof spec === 'object' &&
    spec !== null &&
    typeof (spec as { revert_migration?: unknown }).revert_migration === 'string'
  );
}
