import type { Checklist } from '../checklist/types.js';
import { defaultRegistry } from '../steps/registry.js';
import type { DemoDatabase } from './databases.js';
import { demoRegistry } from './demoRegistry.js';
import { rolloutHooks } from './hooks.js';
import { type RolloutResult, rollOut } from './rollout.js';
import { shieldVariables } from './runVariables.js';
import { type ShieldUnderLoad, startShieldUnderLoad, type ZeroDowntimeFigures } from './shieldUnderLoad.js';
import type { DemoOptions } from './types.js';

export const defaultLoadRate = 25;

export interface StageInput {
  readonly checklist: Checklist;
  readonly database: DemoDatabase;
  readonly stateDir: string;
  /** The runs' environment variables (connections, webhook, PATH); the Shield ones are added here. */
  readonly env: NodeJS.ProcessEnv;
  readonly options: DemoOptions;
  /** Told the environment's Shield once it serves (production's is switched at the merge). */
  onShield?(shield: ShieldUnderLoad): void;
  /** The zero-downtime figures, also when the rollout throws. */
  onFigures(figures: ZeroDowntimeFigures): void;
}

/**
 * One environment's part of the demo: its Shield serving the legacy writer under load,
 * its phases run with the demo's registry (short windows, the rollout hooks), its
 * approvals answered; then the load stopped and the zero-downtime figures taken.
 */
export async function runStage(input: StageInput): Promise<RolloutResult> {
  const { database, options } = input;
  const environment = database.environment;
  const shield = await startShieldUnderLoad({
    environment,
    connectionString: database.url,
    rate: options.loadRate ?? defaultLoadRate,
    ...(options.shieldToken !== undefined && { token: options.shieldToken }),
  });
  options.note?.({
    kind: 'shield',
    text: `Shield API on ${environment}: legacy writer, ${options.loadRate ?? defaultLoadRate} requests/s of synthetic load`,
  });
  input.onShield?.(shield);
  try {
    return await rollOut({
      checklist: input.checklist,
      environment,
      stateDir: input.stateDir,
      env: { ...input.env, ...shieldVariables(input.checklist, shield.url, shield.token) },
      registry: demoRegistry(defaultRegistry, {
        windowCapMs: options.windowCapMs,
        hooks: rolloutHooks({
          shield,
          // Staging runs the app branch as soon as the function exists; production waits for the merge.
          switchAfterMigration: environment === 'staging',
          deployDraft: environment === 'staging' && (options.breakStaging ?? false),
        }),
      }),
      options,
    });
  } finally {
    const figures = await shield.stop();
    input.onFigures(figures);
    options.note?.({ kind: 'shield', text: describeFigures(figures) });
  }
}

function describeFigures(f: ZeroDowntimeFigures): string {
  const windows = f.windows.map((w) => `${w.label}: ${w.failed} failed of ${w.requests}`).join('; ');
  return `Shield on ${f.environment}: ${f.requests} requests, ${f.errors} errors, p95 ${f.latencyMs.p95} ms${windows ? `; ${windows}` : ''}`;
}
