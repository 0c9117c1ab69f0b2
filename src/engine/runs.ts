import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { ApprovalRecord, PhaseStatus } from '../steps/types.js';
import type { RunEvent } from './events.js';
import { type LogIntegrity, readRunLog } from './runLog.js';
import { foldEvents, isFinished, type RunState } from './state.js';

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
 * Every readable run of the state directory, oldest first (run ids sort by start
 * time). A damaged log (bad event, broken chain) is a RunLogDamagedError: no
 * verdict is drawn from a state directory holding one. With `key`, each log's
 * MACs are checked (integrity.signature).
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
  return runs;
}

export async function loadRun(stateDir: string, runId: string, key?: Buffer): Promise<StoredRun> {
  const run = (await listRuns(stateDir, key)).find((r) => r.runId === runId);
  if (!run) throw new UsageError(`no run "${runId}" in ${runsDir(stateDir)}`, { hint: 'shipcheck status lists the runs' });
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
  const own = runsOf(runs, checklist);
  const index = own.findLastIndex((r) => (r.state.phaseStatus[phaseId] ?? 'not_started') !== 'not_started');
  if (index === -1) return 'not_started';
  const run = own[index]!;
  const later = own.slice(index + 1).some((r) => r.state.environment === run.state.environment && r.state.status === 'rolled_back');
  return later ? 'rolled_back' : run.state.phaseStatus[phaseId]!;
}

/** The latest decision recorded for an approval step in any real run of the checklist. */
export function latestApproval(runs: readonly StoredRun[], checklist: string, stepId: string): ApprovalRecord | undefined {
  return runsOf(runs, checklist)
    .map((r) => r.state.approvals[stepId])
    .filter((a): a is ApprovalRecord => a !== undefined)
    .sort((a, b) => a.at.localeCompare(b.at))
    .at(-1);
}
