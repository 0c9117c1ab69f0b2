import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { ApprovalRecord, PhaseStatus } from '../steps/types.js';
import type { RunEvent } from './events.js';
import { type LogIntegrity, readRunLog } from './runLog.js';
import { foldEvents, type RunState } from './state.js';
import { isFinished } from './stateQueries.js';

/** A run as found in the state directory: its log and the state folded from it. */
export interface StoredRun {
  readonly runId: string;
  readonly dir: string;
  readonly events: readonly RunEvent[];
  readonly state: RunState;
  /** What the log's hash chain and MACs say (the chain itself was verified on reading). */
  readonly integrity: LogIntegrity;
}

export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

export function runDir(stateDir: string, runId: string): string {
  return join(runsDir(stateDir), runId);
}

/**
 * Every readable run of the state directory, oldest first: by the start time in the log
 * (milliseconds), then by id (run ids alone sort by the second only, and "the latest run"
 * decides what resumes and which run's approval a gate reads). A damaged log (bad event,
 * broken chain) is a RunLogDamagedError: no verdict is drawn from a state directory holding
 * one. With `key`, each log's MACs are checked (integrity.signature).
 */
export async function listRuns(stateDir: string, key?: Buffer): Promise<StoredRun[]> {
  let names: string[];
  try {
    names = await readdir(runsDir(stateDir));
  } catch {
    return [];
  }
  const runs: StoredRun[] = [];
  for (const runId of names.sort()) {
    const dir = runDir(stateDir, runId);
    try {
      if (!(await stat(dir)).isDirectory()) continue;
      const { events, integrity } = await readRunLog(dir, key);
      // A run that died before its first event was written has nothing to show.
      if (events.length === 0) continue;
      runs.push({ runId, dir, events, state: foldEvents(events), integrity });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
  }
  return runs.sort((a, b) => a.state.startedAt.localeCompare(b.state.startedAt) || a.runId.localeCompare(b.runId));
}

export async function loadRun(stateDir: string, runId: string, key?: Buffer): Promise<StoredRun> {
  const run = (await listRuns(stateDir, key)).find((r) => r.runId === runId);
  if (!run)
    throw new UsageError(`no run "${runId}" in ${runsDir(stateDir)}`, { hint: 'shipcheck status lists the runs' });
  return run;
}

/** The run a plain `shipcheck run` continues: the latest real run of this checklist, environment and phase filter, if unfinished. */
export function findResumable(
  runs: readonly StoredRun[],
  checklist: string,
  environment: string,
  phaseFilter: string | undefined,
): StoredRun | undefined {
  const latest = runs
    .filter(
      (r) =>
        r.state.checklist === checklist &&
        r.state.environment === environment &&
        !r.state.rehearse &&
        r.state.phaseFilter === phaseFilter,
    )
    .at(-1);
  return latest && !isFinished(latest.state) ? latest : undefined;
}

/** Real (not rehearsal) runs of one checklist, oldest first. */
export function runsOf(runs: readonly StoredRun[], checklist: string): StoredRun[] {
  return runs.filter((r) => r.state.checklist === checklist && !r.state.rehearse);
}

/**
 * A phase's status across runs: its status in the latest run that started it,
 * unless a later run on the same environment rolled back (which undid it).
 */
export function latestPhaseStatus(runs: readonly StoredRun[], checklist: string, phaseId: string): PhaseStatus {
  return latestPhaseRun(runs, checklist, phaseId).status;
}

/** latestPhaseStatus, with the run the status was read from. */
export function latestPhaseRun(
  runs: readonly StoredRun[],
  checklist: string,
  phaseId: string,
): { run?: StoredRun; status: PhaseStatus } {
  const own = runsOf(runs, checklist);
  const index = own.findLastIndex((r) => (r.state.phaseStatus[phaseId] ?? 'not_started') !== 'not_started');
  if (index === -1) return { status: 'not_started' };
  const run = own[index]!;
  const later = own
    .slice(index + 1)
    .some((r) => r.state.environment === run.state.environment && r.state.status === 'rolled_back');
  return { run, status: later ? 'rolled_back' : run.state.phaseStatus[phaseId]! };
}

/**
 * The run that holds the evidence for `phaseIds` (all on one environment): the latest real run
 * of the checklist that started any of them. An approval in an older run approved other evidence.
 */
export function evidenceRun(
  runs: readonly StoredRun[],
  checklist: string,
  phaseIds: readonly string[],
): StoredRun | undefined {
  return runsOf(runs, checklist).findLast((r) =>
    phaseIds.some((id) => (r.state.phaseStatus[id] ?? 'not_started') !== 'not_started'),
  );
}

/** The latest decision recorded for an approval step in a real run of the checklist: context, never consent. */
export function latestApproval(
  runs: readonly StoredRun[],
  checklist: string,
  stepId: string,
): (ApprovalRecord & { runId: string }) | undefined {
  return runsOf(runs, checklist)
    .flatMap((r) => (r.state.approvals[stepId] ? [{ ...r.state.approvals[stepId]!, runId: r.runId }] : []))
    .sort((a, b) => a.at.localeCompare(b.at))
    .at(-1);
}
