import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadChecklist } from '../../src/checklist/loader.js';
import { Database } from '../../src/db/database.js';
import type { RunEvent } from '../../src/engine/events.js';
import type { RunRenderer } from '../../src/engine/renderers/types.js';
import { type RunResult, runChecklist } from '../../src/engine/runner.js';
import { type ShieldServer, startShieldServer } from '../../src/shield/http/server.js';
import { resolveOrganization } from '../../src/shield/operator/testOrganization.js';
import { defaultRegistry } from '../../src/steps/registry.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { metadata024, revert024Steps, stagingChecklist } from './engineSupport.js';
import { actionBody, apiToken, auth } from './httpFixtures.js';
import { seedBenchmark } from '../support/seedBenchmark.js';

/**
 * A migration 024 checklist in miniature, run for real: baseline with the Shield API on the
 * legacy writer, migration 024, then a monitor with on_fail: rollback. `watch` is the
 * monitor's YAML (criteria and window); the rollback procedure drops the function.
 */
export function monitoredChecklist(watch: string): string {
  const shield = '{ url_env: SHIELD_METRICS_URL, token_env: SHIELD_API_TOKEN }';
  return stagingChecklist(
    'monitor-test',
    `  - id: deploy
    title: Deploy and watch
    environment: staging
    steps:
      - id: before
        kind: baseline
        title: Baseline before migration 024
        function: public.atomic_update_user_behavior
        window: 1s
        shield_metrics: ${shield}
        race_probe: { actions: 100 }
      - id: apply-024
        kind: migrate
        title: Apply migration 024
        migration: "024"
        on_fail: rollback
      - id: watch
        kind: monitor
        title: Watch the function and Shield
        function: public.atomic_update_user_behavior
        shield_metrics: ${shield}
        baseline: before
        benchmark: ${JSON.stringify(seedBenchmark)}
${watch.replace(/^/gm, '        ')}
        on_fail: rollback`,
    {
      metadata: metadata024,
      rollback: `  function_related:
${revert024Steps('Drop the RPC function')}
  data_corruption:
    - { id: drop-function-2, kind: rollback, title: Drop the RPC function, revert_migration: "024" }`,
    },
  );
}

/** Shield serving the test database, with a steady trickle of actions until stop(). */
export interface MonitoredSystem {
  readonly database: TestDatabase;
  readonly server: ShieldServer;
  readonly dir: string;
  readonly stateDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Runs the checklist; `onEvent` sees every run-log event as it is appended. */
  run(yaml: string, onEvent?: (event: RunEvent) => void): Promise<RunResult>;
  switchWriter(writer: 'rpc' | 'legacy'): Promise<void>;
  close(): Promise<void>;
}

export async function monitoredSystem(): Promise<MonitoredSystem> {
  const database = await freshDatabase({ migrateTo: '006' });
  const organizationId = (await resolveOrganization(database.db, { create: true })).id;
  const server = await startShieldServer({
    db: Database.connect(database.url, { max: 6 }),
    auth: { kind: 'bearer', token: apiToken },
    writer: 'legacy',
    host: '127.0.0.1',
    port: 0,
  });
  const dir = await mkdtemp(join(tmpdir(), 'shipcheck-monitor-'));
  const env = { STAGING_URL: database.url, SHIELD_METRICS_URL: server.url, SHIELD_API_TOKEN: apiToken };

  // About 30 actions a second over 6 offenders: enough for rates, light on a 2-core machine.
  let sent = 0;
  let stopped = false;
  const traffic = (async () => {
    while (!stopped) {
      const body = actionBody(organizationId, `offender_${sent % 6}`, `traffic-${++sent}`);
      await fetch(`${server.url}/v1/shield/actions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
        .then((r) => r.body?.cancel())
        .catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  })();
  while (sent < 20) await new Promise((resolve) => setTimeout(resolve, 50));

  return {
    database,
    server,
    dir,
    stateDir: join(dir, '.shipcheck'),
    env,
    async run(yaml, onEvent) {
      const file = join(dir, 'checklist.yaml');
      await writeFile(file, yaml);
      const checklist = await loadChecklist(file, defaultRegistry);
      const renderer: RunRenderer = { start() {}, event: (event) => onEvent?.(event), async stop() {} };
      return runChecklist({ checklist, environment: 'staging', stateDir: join(dir, '.shipcheck'), env, renderer });
    },
    async switchWriter(writer) {
      const response = await fetch(`${server.url}/v1/admin/writer`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ writer }),
      });
      expect(response.status).toBe(200);
    },
    async close() {
      stopped = true;
      await traffic;
      await server.shutdown();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
