import type { ApprovalRecord, PhaseStatus } from '../steps/types.js';
import { latestPhaseStatus, type StoredRun } from '../engine/runs.js';
import type { RunState } from '../engine/state.js';
import { warnedSteps } from '../engine/stateQueries.js';
import { statusWords } from '../engine/statusWords.js';

export interface PhaseLine {
  readonly number: number;
  readonly id: string;
  readonly title: string;
  readonly environment: string;
  readonly status: PhaseStatus;
}

/** The seed's "Completion Status" block as data: every phase of the checklist, across its environments. */
export interface CompletionStatus {
  readonly checklist: string;
  readonly runId: string;
  readonly environment: string;
  readonly runStatus: RunState['status'];
  readonly rehearse: boolean;
  readonly lastUpdated: string;
  readonly phases: readonly PhaseLine[];
  readonly completed: number;
  readonly current?: PhaseLine;
  readonly pendingApproval?: { readonly stepId: string; readonly message: string };
  /** This run's steps that failed or warned (on_fail: warn), by name: a phase's word alone hides which. */
  readonly attention: readonly AttentionStep[];
}

export interface AttentionStep {
  readonly phaseId: string;
  readonly stepId: string;
  readonly title: string;
  /** failed: it stopped or rolled back the run (or the rollback); warned: it failed and the run went on. */
  readonly status: 'failed' | 'warned';
  readonly message: string;
}

/**
 * Phases of this run take this run's status; the others the latest real run of
 * the same checklist that ran them (a checklist spans staging and production).
 */
export function completionStatus(run: StoredRun, allRuns: readonly StoredRun[]): CompletionStatus {
  const { state } = run;
  const others = allRuns.filter((r) => r.runId !== run.runId);
  const phases = state.phases.map((phase, index): PhaseLine => {
    const own = state.phaseStatus[phase.id];
    const status =
      own !== undefined && own !== 'not_started' ? own : latestPhaseStatus(others, state.checklist, phase.id);
    return { number: index + 1, id: phase.id, title: phase.title, environment: phase.environment, status };
  });
  const current = phases.find((p) => p.status !== 'passed');
  // A phase that passed with warnings is not complete: the seed's block counts passes only.
  return {
    checklist: state.checklist,
    runId: state.runId,
    environment: state.environment,
    runStatus: state.status,
    rehearse: state.rehearse,
    lastUpdated: latestOf(
      allRuns.map((r) => r.state.updatedAt),
      state.updatedAt,
    ),
    phases,
    completed: phases.filter((p) => p.status === 'passed').length,
    ...(current && { current }),
    ...(state.pendingApproval && { pendingApproval: state.pendingApproval }),
    attention: attentionSteps(state),
  };
}

function attentionSteps(state: RunState): AttentionStep[] {
  const warned = new Set(warnedSteps(state).map((s) => s.id));
  return state.steps
    .filter((s) => s.status === 'Error')
    .map((s) => ({
      phaseId: s.phaseId,
      stepId: s.id,
      title: s.title,
      status: warned.has(s.id) ? 'warned' : 'failed',
      message: s.outcome?.message ?? s.error?.message ?? 'failed',
    }));
}

/** What a decision approved, in words: its run's phases then, and the checklist file's hash. */
export function approvedEvidence(approval: ApprovalRecord): string | undefined {
  if (!approval.phases && !approval.checklistHash) return undefined; // recorded before approvals carried their evidence
  const phases = Object.entries(approval.phases ?? {}).map(([id, status]) => `${id} ${phaseLabel(status)}`);
  return [
    ...phases,
    ...(approval.checklistHash ? [`checklist sha256 ${approval.checklistHash.slice(0, 12)}…`] : []),
  ].join(', ');
}

export function phaseLabel(status: PhaseStatus): string {
  return statusWords(status);
}

/** The block as Markdown, in the seed's words. */
export function renderCompletionStatus(status: CompletionStatus): string {
  const percent = status.phases.length === 0 ? 0 : Math.round((status.completed / status.phases.length) * 100);
  const current = status.current
    ? `Phase ${status.current.number} (${status.current.title}) - ${phaseLabel(status.current.status)}`
    : 'all phases complete';
  const lines = [
    '## Completion Status',
    '',
    `**Run:** ${status.runId} (${status.checklist} on ${status.environment}${status.rehearse ? ', rehearsal' : ''}) - ${statusWords(status.runStatus)}`,
    `**Last Updated:** ${status.lastUpdated}`,
    `**Current Phase:** ${current}`,
    `**Overall Progress:** ${percent}% (${status.completed}/${status.phases.length} phases complete)`,
    '',
    '**Phase Statuses:**',
    ...status.phases.map((p) => `- Phase ${p.number}: ${phaseLabel(p.status)} - ${p.title} (${p.environment})`),
  ];
  if (status.attention.length > 0) {
    lines.push(
      '',
      '**Failed or Warned Steps:**',
      ...status.attention.map(
        (s) =>
          `- ${s.status === 'warned' ? 'WARNED' : 'FAILED'}: ${s.stepId} (${s.title}, ${s.phaseId}) - ${s.message}`,
      ),
    );
  }
  if (status.pendingApproval) {
    lines.push(
      '',
      `**Pending Approval:** ${status.pendingApproval.stepId} - ${status.pendingApproval.message}`,
      `  record it: shipcheck approve ${status.runId} --by NAME --decision approved|conditional|rejected`,
    );
  }
  return lines.join('\n');
}

/** The latest of ISO timestamps, which compare as strings (the later one is the greater). */
function latestOf(timestamps: readonly string[], initial: string): string {
  let latest = initial;
  for (const at of timestamps) if (at > latest) latest = at;
  return latest;
}
