import { delimiter } from 'node:path';
import { allSteps, type Checklist } from '../checklist/types.js';
import { UsageError } from '../errors.js';
import type { DemoDatabases } from './databases.js';

export interface RunVariables {
  /** The `env` every run of the demo gets: never printed, never written. */
  readonly env: NodeJS.ProcessEnv;
  /** Variable name → the database it points at (safe to show: no host, no password). */
  readonly shown: Readonly<Record<string, string>>;
}

/**
 * The environment the checklist's runs see: the connection variables it names for
 * staging and production, its notify steps' webhook variables pointed at the demo's
 * receiver, and PATH with the `gh` stand-in first. Only in this object, never in
 * process.env, so nothing leaks to anything else in the process.
 */
export function runVariables(
  checklist: Checklist,
  databases: DemoDatabases,
  webhookUrl: string,
  ghBinDir: string,
  base: NodeJS.ProcessEnv = process.env,
): RunVariables {
  const staging = checklist.environments.staging?.connectionEnv;
  const production = checklist.environments.production?.connectionEnv;
  if (staging === undefined || production === undefined) {
    throw new UsageError(`checklist ${checklist.name} needs a staging and a production environment for the demo`);
  }
  const webhookVariables = new Set(
    allSteps(checklist)
      .filter((s) => s.kind === 'notify')
      .map((s) => (s.spec as { webhook_env?: string }).webhook_env)
      .filter((name): name is string => typeof name === 'string'),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: [ghBinDir, base.PATH].filter(Boolean).join(delimiter),
    ...(base.HOME !== undefined && { HOME: base.HOME }),
    ...(base.LANG !== undefined && { LANG: base.LANG }),
    [staging]: databases.staging.url,
    [production]: databases.production.url,
  };
  for (const name of webhookVariables) env[name] = webhookUrl;
  return { env, shown: { [staging]: databases.staging.name, [production]: databases.production.name } };
}

/**
 * The variables the checklist's baseline and monitor steps read the Shield API's metrics
 * from (`shield_metrics: { url_env, token_env }`), set to one environment's Shield.
 */
export function shieldVariables(checklist: Checklist, url: string, token: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const step of allSteps(checklist)) {
    const source = (step.spec as { shield_metrics?: { url_env?: string; token_env?: string } }).shield_metrics;
    if (source?.url_env) env[source.url_env] = url;
    if (source?.token_env) env[source.token_env] = token;
  }
  return env;
}
