import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadChecklist } from '../checklist/loader.js';
import { checkDeployed, type DeployGateResult } from '../engine/deployGate.js';
import { listRuns } from '../engine/runs.js';
import { UsageError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { defaultRegistry } from '../steps/registry.js';
import { createDemoDatabases, type DemoDatabase, type DemoDatabases } from './databases.js';
import { continueCommands, outcomeOf } from './outcome.js';
import { startOutsideWorld } from './outsideWorld.js';
import { type DemoReports, writeDemoReports } from './reports.js';
import type { RolloutResult } from './rollout.js';
import { runVariables } from './runVariables.js';
import type { ShieldUnderLoad, ZeroDowntimeFigures } from './shieldUnderLoad.js';
import { runStage } from './stage.js';
import type { ApprovalRequest, DemoNote, DemoOptions, DemoResult, DemoRun } from './types.js';

export const defaultChecklistFile = join(packageRoot, 'checklists', 'migration-024.yaml');

/**
 * `shipcheck demo`: the migration 024 checklist end to end on two fresh databases of one
 * server — staging phases under Shield load (the migration applied, then the writer
 * switched, with the errors counted), the approvals, the production phases and the merge,
 * the deploy gate before and after, the reports. Returns instead of printing.
 *
 * @example
 * const result = await runDemo({ serverUrl, stateDir, windowCapMs: 5000, rendererFor: () => silentRenderer,
 *   decideApproval: async () => ({ by: 'Ana (PO)', decision: 'approved' }) });
 * result.outcome; // 'passed'
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const stateDir = resolve(options.stateDir);
  const checklistFile = resolve(options.checklistFile ?? defaultChecklistFile);
  const note = (kind: DemoNote['kind'], text: string) => options.note?.({ kind, text });
  const checklist = await loadChecklist(checklistFile, defaultRegistry);
  await assertFreshStateDir(stateDir, checklist.name);

  const runs: DemoRun[] = [];
  const zeroDowntime: ZeroDowntimeFigures[] = [];
  const notifications: string[] = [];
  const gate: { beforeProduction?: DeployGateResult; atEnd?: DeployGateResult } = {};
  const closers: (() => Promise<unknown>)[] = [];
  const workDir = await mkdtemp(join(tmpdir(), 'shipcheck-demo-'));
  let databases: DemoDatabases | undefined;
  let variables: Readonly<Record<string, string>> = {};
  let waitingFor: ApprovalRequest | undefined;
  let error: Error | undefined;
  let productionShield: ShieldUnderLoad | undefined;
  const deployGate = () => checkDeployed({ checklist, environment: 'production', stateDir });

  try {
    databases = await createDemoDatabases(options.serverUrl);
    const seeded = databases.staging.seeded;
    note(
      'setup',
      `databases ${databases.staging.name} and ${databases.production.name}: migrated to 006 (before 024), seeded with ` +
        `${seeded.organizations} organizations, ${seeded.members} members, ${seeded.behaviours} behaviours, ${seeded.actions} actions each`,
    );

    const world = await startOutsideWorld({
      workDir,
      requiredCheck: async () => gateVerdict(await deployGate()),
      onMerge: async () => {
        const switched = await productionShield?.switchWriter('rpc');
        return switched ? `App change deployed: ${switched.message}.` : '';
      },
      onNotification(text) {
        notifications.push(text);
        note('notification', text);
      },
    });
    closers.push(() => world.close());
    const run = runVariables(checklist, databases, world.webhookUrl, world.binDir, options.env);
    variables = run.shown;

    const stage = (database: DemoDatabase) =>
      runStage({
        checklist,
        database,
        stateDir,
        env: run.env,
        options,
        onShield: (shield) => {
          if (database.environment === 'production') productionShield = shield;
        },
        onFigures: (figures) => zeroDowntime.push(figures),
      });
    const remember = (environment: string, { result, waitingFor: waiting }: RolloutResult): boolean => {
      if (result.runId !== undefined) {
        const message = result.error?.message;
        runs.push({
          environment,
          runId: result.runId,
          status: result.status,
          ...(message !== undefined && { message }),
        });
      }
      waitingFor = waiting;
      if (result.error && !waiting) error = result.error;
      return result.status === 'passed' && !waiting;
    };

    if (remember('staging', await stage(databases.staging))) {
      gate.beforeProduction = await deployGate();
      note('gate', `before production: ${gateLine(gate.beforeProduction)}`);
      remember('production', await stage(databases.production));
    }
    gate.atEnd = await deployGate();
    note('gate', `at the end: ${gateLine(gate.atEnd)}`);
  } catch (caught) {
    error = caught instanceof Error ? caught : new Error(String(caught));
  }

  const reports: DemoReports = await writeDemoReports(
    stateDir,
    runs.map((r) => r.runId),
    checklist,
  ).catch((caught: unknown) => {
    error ??= caught instanceof Error ? caught : new Error(String(caught));
    return { files: [] };
  });
  const kept = (options.keep ?? false) || (waitingFor !== undefined && (options.serverOutlivesDemo ?? false));
  for (const close of closers.reverse()) await close().catch(() => {});
  const dropFailure =
    databases && !kept
      ? await databases.drop().then(
          () => undefined,
          (caught: unknown) => messageOf(caught),
        )
      : undefined;
  // An embedded server is removed right after the demo, its databases with it: a drop that failed
  // there (a terminal's Ctrl-C stops that server too) leaves nothing behind.
  const dropError = options.serverOutlivesDemo ? dropFailure : undefined;
  if (databases && kept)
    note('cleanup', `kept the databases ${databases.staging.name} and ${databases.production.name}`);
  await rm(workDir, { recursive: true, force: true });

  const { outcome, exitCode } = outcomeOf(runs.at(-1)?.status, waitingFor, error, options.signal?.aborted ?? false);
  return {
    outcome,
    exitCode,
    stateDir,
    runs,
    gate,
    reports: reports.files,
    ...(reports.completion && { completion: reports.completion }),
    ...(reports.completionText !== undefined && { completionText: reports.completionText }),
    ...(reports.locksText !== undefined && { locksText: reports.locksText }),
    zeroDowntime,
    notifications,
    databases: {
      staging: databases?.staging.name ?? '',
      production: databases?.production.name ?? '',
      kept: kept && databases !== undefined,
      ...(dropError !== undefined && { dropError }),
      variables,
    },
    ...(waitingFor && { waitingFor, continueWith: continueCommands(waitingFor, checklistFile, stateDir) }),
    wallMs: Math.round(performance.now() - started),
    ...(error && { error }),
  };
}

/** The demo's runs must be the only ones its gates and status blocks read. */
async function assertFreshStateDir(stateDir: string, checklistName: string): Promise<void> {
  const existing = (await listRuns(stateDir)).filter((r) => r.state.checklist === checklistName);
  if (existing.length > 0) {
    throw new UsageError(
      `${stateDir} already holds ${existing.length} run(s) of ${checklistName}; the demo needs a state dir of its own`,
      {
        hint: 'omit --state-dir (the demo then makes a fresh one) or name an empty directory',
      },
    );
  }
}

function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

function gateVerdict(result: DeployGateResult): { ok: boolean; reason: string } {
  const unmet = result.checks.find((c) => !c.met);
  return { ok: result.ok, reason: unmet ? `${unmet.requirement}: ${unmet.observed}` : 'deployed' };
}

function gateLine(result: DeployGateResult): string {
  const { ok, reason } = gateVerdict(result);
  return ok ? 'gate OPEN (exit 0): migration 024 is deployed in production' : `gate CLOSED (exit 1): ${reason}`;
}
