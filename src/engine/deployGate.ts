import type { Database } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import type { Checklist, ChecklistStep } from '../checklist/types.js';
import { defaultRegistry, type StepRegistry } from '../steps/registry.js';
import { traitsOfStep } from '../steps/traits.js';
import { closeEnvironment, openEnvironment } from './environment.js';
import { logKeyFrom, logKeyVariable } from './logLine.js';
import { runsOf, listRuns, type StoredRun } from './runs.js';
import { warnedSteps } from './stateQueries.js';

export interface DeployGateResult {
  readonly ok: boolean;
  /** One line per requirement checked, met or not. */
  readonly checks: readonly { readonly requirement: string; readonly met: boolean; readonly observed: string }[];
}

const functionExistsSql = sqlFile(import.meta.url, './sql/function_exists.sql');

/**
 * `shipcheck gate --require deployed`: did the latest runs on this environment
 * apply and verify the migration (migrate + contract passed, and monitor if the
 * deploy phase has one) with no rollback since, and no step of those phases warned
 * (unless `allowWarnings`)? With `live`, the function named by
 * the contract step must also exist in the database right now.
 */
export async function checkDeployed(options: {
  checklist: Checklist;
  environment: string;
  stateDir: string;
  live?: boolean;
  /** Accept deploy phases that passed with warnings (steps failed under on_fail: warn). */
  allowWarnings?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The step kinds, for what each one's success proves (its gateEvidence trait). */
  registry?: StepRegistry;
}): Promise<DeployGateResult> {
  const { checklist, environment } = options;
  const registry = options.registry ?? defaultRegistry;
  const evidenceOf = (step: ChecklistStep) => traitsOfStep(registry, step).gateEvidence;
  const key = logKeyFrom(options.env ?? process.env);
  const runs = runsOf(await listRuns(options.stateDir, key), checklist.name).filter(
    (r) => r.state.environment === environment,
  );
  const phases = deployPhases(checklist, environment, evidenceOf);
  // The steps whose success means "the migration is applied, verified and healthy".
  const steps = phases.flatMap((p) => p.steps).filter((s) => evidenceOf(s) !== undefined);
  const checks: { requirement: string; met: boolean; observed: string }[] = [];
  for (const [evidence, what] of [
    ['applies', 'applies the migration'],
    ['verifies', 'verifies its contract'],
  ] as const) {
    if (!steps.some((s) => evidenceOf(s) === evidence)) {
      checks.push({
        requirement: `a step that ${what} on ${environment}`,
        met: false,
        observed: 'the checklist has none',
      });
    }
  }
  for (const step of steps) {
    const { run, status } = latestStepStatus(runs, step.id);
    const rolledBackSince =
      run !== undefined && runs.slice(runs.indexOf(run)).some((r) => r.state.status === 'rolled_back');
    const met = status === 'Success' && !rolledBackSince;
    const observed =
      run === undefined
        ? 'never ran'
        : rolledBackSince
          ? `${status} in ${run.runId}, rolled back since`
          : `${status} in ${run.runId}`;
    checks.push({ requirement: `${step.kind} step ${step.id} passed`, met, observed });
  }
  // A warning is never a pass: the run of a deploy phase must show no step that failed under on_fail: warn.
  for (const phase of phases) {
    const run = runs.findLast((r) => (r.state.phaseStatus[phase.id] ?? 'not_started') !== 'not_started');
    if (run === undefined) continue; // its steps above already say "never ran"
    const warned = warnedSteps(run.state, phase.id).map((s) => s.id);
    const observed =
      warned.length === 0
        ? `none in ${run.runId}`
        : `${warned.join(', ')} failed under on_fail: warn in ${run.runId}${options.allowWarnings ? ' (allowed)' : ''}`;
    checks.push({
      requirement: `phase ${phase.id} has no warned step`,
      met: warned.length === 0 || options.allowWarnings === true,
      observed,
    });
  }
  checks.push(...logChecks(runs, key !== undefined));
  if (options.live) checks.push(await liveCheck(checklist, environment, options.env ?? process.env, evidenceOf));
  return { ok: checks.length > 0 && checks.every((c) => c.met), checks };
}

/**
 * The phases that deploy the migration: those of the environment with a migrate step.
 * A later phase's monitor (the merge phase's post-merge watch) cannot count: it runs
 * after the merge this gate guards, so requiring it would keep the PR blocked forever.
 */
function deployPhases(
  checklist: Checklist,
  environment: string,
  evidenceOf: (step: ChecklistStep) => string | undefined,
) {
  const phases = checklist.phases.filter((p) => p.environment === environment);
  const deploying = phases.filter((p) => p.steps.some((s) => evidenceOf(s) === 'applies'));
  return deploying.length > 0 ? deploying : phases;
}

/**
 * The gate draws its verdict from run logs, so each must be one shipcheck wrote:
 * chained from its first event (the chain itself was verified on reading) and,
 * with SHIPCHECK_LOG_KEY set, signed with that key on every line. Without a key
 * the chain still catches an edited log, not one written from scratch: the gate
 * opens and says the logs are unsigned.
 */
function logChecks(
  runs: readonly StoredRun[],
  keyed: boolean,
): { requirement: string; met: boolean; observed: string }[] {
  if (runs.length === 0) return [];
  const failing = runs.flatMap((run) => {
    const problem = logProblem(run, keyed);
    return problem ? [{ requirement: `run ${run.runId}'s log verifies`, met: false, observed: problem }] : [];
  });
  if (failing.length > 0) return failing;
  const observed = keyed
    ? `hash chain intact, every event signed with ${logKeyVariable}`
    : runs.every((r) => r.integrity.signature === 'unchecked')
      ? `hash chain intact; signed, but ${logKeyVariable} is not set here to check the signatures`
      : `hash chain intact; unsigned (set ${logKeyVariable} for every shipcheck command to accept only signed logs)`;
  return [{ requirement: `the run logs (${runs.length}) verify`, met: true, observed }];
}

function logProblem(run: StoredRun, keyed: boolean): string | undefined {
  const { integrity } = run;
  if (integrity.unchained > 0) {
    return `its first ${integrity.unchained} event(s) have no hash chain (log format 1, or written by hand): it cannot be verified`;
  }
  if (!keyed) return undefined;
  if (integrity.signature === 'invalid') {
    return `event ${integrity.firstInvalid}'s signature does not verify with ${logKeyVariable}: edited, or signed with another key`;
  }
  if (integrity.signature === 'unsigned')
    return `event ${integrity.firstUnsigned} is unsigned: written without ${logKeyVariable}`;
  return undefined;
}

function latestStepStatus(runs: readonly StoredRun[], stepId: string): { run?: StoredRun; status?: string } {
  for (const run of [...runs].reverse()) {
    const step = run.state.steps.find((s) => s.id === stepId);
    if (step) return { run, status: step.status };
  }
  return {};
}

/** A quick catalog query for the function(s) the contract steps check. */
async function liveCheck(
  checklist: Checklist,
  environment: string,
  env: NodeJS.ProcessEnv,
  evidenceOf: (step: ChecklistStep) => string | undefined,
) {
  const functions = checklist.phases
    .filter((p) => p.environment === environment)
    .flatMap((p) => p.steps)
    .filter((s) => evidenceOf(s) === 'verifies')
    .map((s) => (s.spec as { function?: { schema?: string; name?: string } }).function)
    .filter((f): f is { schema: string; name: string } => typeof f?.schema === 'string' && typeof f.name === 'string');
  if (functions.length === 0)
    return { requirement: 'function exists now', met: false, observed: 'no contract step names a function' };
  const handle = openEnvironment(checklist, environment, env);
  const db: Database = handle.db;
  try {
    const missing: string[] = [];
    for (const f of functions) {
      const { rows } = await db.query<{ n: number }>(functionExistsSql, [f.schema, f.name]);
      if ((rows[0]?.n ?? 0) === 0) missing.push(`${f.schema}.${f.name}`);
    }
    const names = functions.map((f) => `${f.schema}.${f.name}`).join(', ');
    return missing.length === 0
      ? { requirement: `${names} exists in ${handle.label} now`, met: true, observed: 'present' }
      : {
          requirement: `${names} exists in ${handle.label} now`,
          met: false,
          observed: `missing: ${missing.join(', ')}`,
        };
  } finally {
    await closeEnvironment(handle);
  }
}
