import type { Checklist } from '../checklist/types.js';
import type { RunHistory } from '../steps/types.js';
import type { RunJournal } from './journal.js';
import { latestApproval, latestPhaseStatus, type StoredRun } from './runs.js';

/**
 * What a step may know about the past: this run's outcomes, and the latest
 * runs of the same checklist on the other environments (for gates).
 */
export function createRunHistory(journal: RunJournal, checklist: Checklist, otherRuns: readonly StoredRun[]): RunHistory {
  const others = otherRuns.filter((r) => r.runId !== journal.runId);
  return {
    outcomeOf: (stepId) => journal.state.steps.find((s) => s.id === stepId)?.outcome,
    phaseStatus: (phaseId) => {
      const own = journal.state.phaseStatus[phaseId];
      if (own !== undefined && own !== 'not_started') return own;
      return latestPhaseStatus(others, checklist.name, phaseId);
    },
    approvalOf: (stepId) => journal.state.approvals[stepId] ?? latestApproval(others, checklist.name, stepId),
  };
}
