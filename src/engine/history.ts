import type { Checklist } from '../checklist/types.js';
import type { ApprovalRecord, GateApproval, RunHistory } from '../steps/types.js';
import type { RunJournal } from './journal.js';
import { evidenceRun, latestApproval, latestPhaseStatus, runsOf, type StoredRun } from './runs.js';

/**
 * What a step may know about the past: this run's outcomes and approvals, and the
 * latest runs of the same checklist on the other environments (for gates). An
 * approval belongs to the run it was given in: the approval step reads this run's
 * decision only, a gate the decision of the run that holds the evidence it requires.
 */
export function createRunHistory(
  journal: RunJournal,
  checklist: Checklist,
  otherRuns: readonly StoredRun[],
): RunHistory {
  const others = otherRuns.filter((r) => r.runId !== journal.runId);
  return {
    outcomeOf: (stepId) => journal.state.steps.find((s) => s.id === stepId)?.outcome,
    phaseStatus: (phaseId) => {
      const own = journal.state.phaseStatus[phaseId];
      if (own !== undefined && own !== 'not_started') return own;
      return latestPhaseStatus(others, checklist.name, phaseId);
    },
    approvalOf: (stepId) => journal.state.approvals[stepId],
    gateApproval: (stepId, requiredPhases) => gateApproval(journal, checklist, others, stepId, requiredPhases),
    earlierApproval: (stepId) => latestApproval(others, checklist.name, stepId),
  };
}

function gateApproval(
  journal: RunJournal,
  checklist: Checklist,
  others: readonly StoredRun[],
  stepId: string,
  requiredPhases: readonly string[],
): GateApproval {
  const phase = checklist.phases.find((p) => p.steps.some((s) => s.id === stepId));
  if (!phase) return { problem: `${stepId} is not a step of a phase` }; // the loader refuses such a gate
  if (journal.state.runPhases.includes(phase.id)) {
    const record = journal.state.approvals[stepId];
    return { runId: journal.runId, ...(record && { record }) };
  }
  // The phases this decision approved: the approval's own, and those the gate requires on its environment.
  const sameEnvironment = [
    phase.id,
    ...requiredPhases.filter((id) => checklist.phases.find((p) => p.id === id)?.environment === phase.environment),
  ];
  const runs = runsOf(others, checklist.name).filter((r) => r.state.environment === phase.environment);
  const run = evidenceRun(runs, checklist.name, sameEnvironment);
  if (!run) return {};
  const record = run.state.approvals[stepId];
  if (!record) {
    const earlier = latestApproval(runs, checklist.name, stepId);
    const context = earlier
      ? `; run ${earlier.runId}'s decision (${earlier.decision} by ${earlier.by}) is not reused`
      : '';
    return {
      runId: run.runId,
      problem: `no decision in run ${run.runId}, the latest run of ${sameEnvironment.join(', ')}${context}`,
    };
  }
  return { runId: run.runId, record, ...problemWith(record, run, runs, checklist) };
}

/** Why a decision found in its evidence run still cannot open a gate, if it cannot. */
function problemWith(
  record: ApprovalRecord,
  run: StoredRun,
  runs: readonly StoredRun[],
  checklist: Checklist,
): { problem?: string } {
  const rolledBack =
    run.state.status === 'rolled_back' ||
    runs.slice(runs.indexOf(run) + 1).some((r) => r.state.status === 'rolled_back');
  if (rolledBack) return { problem: `given in run ${run.runId}, rolled back since` };
  // A decision recorded before approvals carried the hash approved the file its run ran.
  const approvedHash = record.checklistHash ?? run.state.checklistHash;
  if (approvedHash !== checklist.fileHash) {
    return {
      problem: `the checklist changed since the approval in run ${run.runId} (file sha256 ${approvedHash.slice(0, 12)}… then, ${checklist.fileHash.slice(0, 12)}… now): the decision approved another checklist`,
    };
  }
  return {};
}
