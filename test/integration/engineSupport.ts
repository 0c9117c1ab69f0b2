import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, test } from 'vitest';
import { loadChecklist } from '../../src/checklist/loader.js';
import type { Checklist } from '../../src/checklist/types.js';
import { readEvents } from '../../src/engine/runLog.js';
import { runDir } from '../../src/engine/runs.js';
import type { RunEvent } from '../../src/engine/events.js';
import { probeCalls, testRegistry } from '../unit/engine/testKinds.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

/** A temp workspace: a checklist file and a state dir. */
export interface Workspace {
  readonly dir: string;
  readonly stateDir: string;
  writeChecklist(yaml: string, name?: string): Promise<Checklist>;
  events(runId: string): Promise<RunEvent[]>;
  /** Every file under the state dir with its mode and content. */
  files(): Promise<{ path: string; mode: number; content: string }[]>;
  remove(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'shipcheck-engine-'));
  const stateDir = join(dir, '.shipcheck');
  return {
    dir,
    stateDir,
    async writeChecklist(yaml, name = 'checklist.yaml') {
      const file = join(dir, name);
      await writeFile(file, yaml);
      return loadChecklist(file, testRegistry);
    },
    events: (runId) => readEvents(runDir(stateDir, runId)),
    async files() {
      const out: { path: string; mode: number; content: string }[] = [];
      const walk = async (path: string): Promise<void> => {
        const info = await stat(path);
        if (info.isDirectory()) {
          out.push({ path, mode: info.mode & 0o777, content: '' });
          for (const entry of await readdir(path)) await walk(join(path, entry));
        } else {
          out.push({ path, mode: info.mode & 0o777, content: await readFile(path, 'utf8') });
        }
      };
      await walk(stateDir).catch(() => {});
      return out;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * `it` for engine tests, with the setup each engine test file used to repeat in its hooks:
 * `staging`, a database migrated to `migrateTo`, and `ws`, a workspace, both the test's own
 * and removed after it. Tests of a file can then run concurrently (`describe.concurrent`):
 * runs of one checklist on one database would wait for each other's advisory lock.
 *
 * @example
 * const it = engineTest({ migrateTo: 'none' });
 * it('stops on Ctrl-C', async ({ staging, ws }) => { ... });
 */
export function engineTest(options: { migrateTo?: string | 'none' } = {}) {
  // vitest reads what a fixture depends on from its first parameter's pattern: nothing here.
  return test
    .extend('staging', async ({}, { onCleanup }) => {
      const database = await freshDatabase(options);
      onCleanup(() => database.drop());
      return database;
    })
    .extend('ws', async ({}, { onCleanup }) => {
      const ws = await workspace();
      onCleanup(() => ws.remove());
      return ws;
    });
}

/** What `engineFile()` sets up; `production` only when asked for. */
export interface EngineFile {
  /** The file's staging database: created before its first test, dropped after its last. */
  readonly staging: TestDatabase;
  /** STAGING_URL (and PRODUCTION_URL) of the file's databases, with `env`'s extras: filled in before the first test. */
  readonly env: NodeJS.ProcessEnv;
  /** The test's own workspace: a new one before each test, removed after it. */
  readonly ws: Workspace;
}

/**
 * The hooks an engine test file sharing one database (or one staging+production pair) among its
 * tests used to repeat: databases migrated to `migrateTo` for the whole file (a database per test
 * would be `engineTest()`, and slower), a workspace and an empty `probeCalls` per test.
 * The values are stand-ins that read the current database / workspace, so the file's helpers
 * can name them once at the top; reading one outside a hook or a test throws.
 *
 * @example
 * const { staging, production, env, ws } = engineFile({ migrateTo: '006', production: true });
 * it('runs', async () => { await runChecklist({ ..., stateDir: ws.stateDir, env }); });
 */
export function engineFile(options: {
  migrateTo: string | 'none';
  production: true;
  env?: NodeJS.ProcessEnv;
}): EngineFile & { readonly production: TestDatabase };
export function engineFile(options: { migrateTo: string | 'none'; env?: NodeJS.ProcessEnv }): EngineFile;
export function engineFile(options: {
  migrateTo: string | 'none';
  production?: boolean;
  env?: NodeJS.ProcessEnv;
}): EngineFile & { readonly production?: TestDatabase } {
  let staging: TestDatabase | undefined;
  let production: TestDatabase | undefined;
  let ws: Workspace | undefined;
  // One object for the whole file, filled in once the databases exist, so it can be named at the top.
  const env: NodeJS.ProcessEnv = {};
  beforeAll(async () => {
    const migrateTo = options.migrateTo;
    [staging, production] = await Promise.all([
      freshDatabase({ migrateTo }),
      options.production ? freshDatabase({ migrateTo }) : undefined,
    ]);
    Object.assign(env, { STAGING_URL: staging.url }, production && { PRODUCTION_URL: production.url }, options.env);
  });
  afterAll(async () => {
    await Promise.all([staging?.drop(), production?.drop()]);
  });
  beforeEach(async () => {
    ws = await workspace();
    probeCalls.length = 0;
    return () => ws?.remove();
  });
  const now = <T>(value: T | undefined, name: string): T => {
    if (value === undefined)
      throw new Error(`engineFile(): ${name} is set up by its hooks: read it in a hook or a test`);
    return value;
  };
  const standIn = (current: () => TestDatabase | undefined, name: string): TestDatabase => ({
    get name() {
      return now(current(), name).name;
    },
    get url() {
      return now(current(), name).url;
    },
    get db() {
      return now(current(), name).db;
    },
    drop: () => now(current(), name).drop(),
  });
  const currentWs = () => now(ws, 'ws');
  const wsStandIn: Workspace = {
    get dir() {
      return currentWs().dir;
    },
    get stateDir() {
      return currentWs().stateDir;
    },
    writeChecklist: (yaml, name) => currentWs().writeChecklist(yaml, name),
    events: (runId) => currentWs().events(runId),
    files: () => currentWs().files(),
    remove: () => currentWs().remove(),
  };
  return {
    staging: standIn(() => staging, 'staging'),
    ...(options.production ? { production: standIn(() => production, 'production') } : {}),
    env,
    ws: wsStandIn,
  };
}

/** The 024 metadata a checklist with the real migrate kinds declares. */
export const metadata024 =
  'metadata: { migration: db/migrations/024_atomic_user_behavior_updates.sql, issue: "#653", blocked_pr: "#654" }';

/** A contract step checking 024's function grants, as a phase's step (indented as in the file). */
export const grants024Step = (id: string, title: string) => `      - id: ${id}
        kind: contract
        title: ${title}
        function: public.atomic_update_user_behavior
        grants: { allowed: [authenticated, service_role], denied: [PUBLIC, anon] }`;

/** A production phase: deploy migration 024 with the real migrate kind, then check its grants. */
export const production024Phase = `  - id: production-deploy
    title: Production deployment
    environment: production
    steps:
      - { id: prod-deploy, kind: migrate, title: Deploy migration 024 to production, migration: "024" }
${grants024Step('prod-contract', 'Verify permissions in production')}`;

/** Rollback steps: revert migration 024, then check its function is gone (indented as a branch's steps). */
export const revert024Steps = (
  title: string,
  idSuffix = '',
) => `    - { id: drop-function${idSuffix}, kind: rollback, title: ${title}, revert_migration: "024" }
    - id: verify-removal${idSuffix}
      kind: sql
      title: Verify removal
      query: select proname from pg_proc where proname = 'atomic_update_user_behavior'
      expect: { row_count: 0 }`;

/** A rollback whose two branches do nothing (one `select 1` each), for tests that never roll back. */
export const nothingToRollBack = `  function_related: [{ id: rb, kind: sql, title: Nothing, query: "select 1 as one", expect: { row_count: 1 } }]
  data_corruption: [{ id: rb2, kind: sql, title: Nothing, query: "select 1 as one", expect: { row_count: 1 } }]`;

/**
 * A checklist text on one environment, staging (from STAGING_URL), or two with `production`
 * (PRODUCTION_URL): the header every engine test wrote out, around its `phases` YAML and
 * `rollback` YAML (both indented as in the file).
 */
export function stagingChecklist(
  name: string,
  phases: string,
  options: { rollback?: string; metadata?: string; production?: boolean } = {},
): string {
  const header = [
    'version: 1',
    `name: ${name}`,
    ...(options.metadata ? [options.metadata] : []),
    'environments:',
    '  staging: { connection_env: STAGING_URL }',
    ...(options.production ? ['  production: { connection_env: PRODUCTION_URL }'] : []),
  ];
  return [...header, 'phases:', phases, 'rollback:', options.rollback ?? nothingToRollBack, ''].join('\n');
}

/**
 * A production phase (for `checklistYaml()`, after the staging phases: it starts with a newline)
 * whose gate requires `deployRequirement` and approval `po`, then a probe.
 */
export const gatedProductionPhase = (deployRequirement = '{ environment: staging, phase: deploy, status: passed }') => `
  - id: production-deploy
    title: Production deployment
    environment: production
    steps:
      - id: production-gate
        kind: gate
        title: Staging passed and PO approved
        requires:
          - ${deployRequirement}
          - { approval: po, decision: approved }
      - { id: prod-probe, kind: probe, title: Production probe }`;

/** A checklist text with two environments and the given phases / rollback YAML. */
export function checklistYaml(phases: string, rollback?: string): string {
  return `version: 1
name: engine-test
${metadata024}
environments:
  staging: { connection_env: STAGING_URL }
  production: { connection_env: PRODUCTION_URL }
phases:
${phases}
rollback:
${
  rollback ??
  `  function_related:
    - { id: rb-drop, kind: probe, title: Drop the function }
    - { id: rb-verify, kind: probe, title: Verify removal }
  data_corruption:
    - { id: rb-restore, kind: probe, title: Restore the backup }
    - { id: rb-drop-2, kind: probe, title: Drop the function }`
}
`;
}
