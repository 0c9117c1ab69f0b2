import type { PhaseStatus } from '../../steps/types.js';
import type { RunState, RunStatus } from '../state.js';
import { statusWords } from '../statusWords.js';

/** How the live list draws a phase once its steps are settled: done (✔) only when it passed. */
export interface PhaseMark {
  /** True only for a phase whose steps all passed (or were checked by hand): the list's ✔. */
  readonly done: boolean;
  readonly mark: string;
  /** The words `status` uses for the same state. */
  readonly words: string;
}

const marks: Readonly<Record<PhaseStatus | RunStatus, string>> = {
  passed: '✔',
  passed_with_warnings: '⚠',
  failed: '✖',
  rejected: '✖',
  rollback_failed: '✖',
  rolled_back: '↩',
  awaiting_approval: '⏸',
  stopped: '■',
  in_progress: '…',
  not_started: '·',
};

/**
 * A phase's mark from the run's state: its own status once it finished; while it is
 * unfinished, where the run stands (waiting for a sign-off, stopped).
 *
 * @example
 * phaseMark(state, 'po-approval') // { done: false, mark: '⏸', words: 'AWAITING APPROVAL' }
 */
export function phaseMark(state: RunState, phaseId: string): PhaseMark {
  const phase = state.phaseStatus[phaseId] ?? 'not_started';
  const halted = state.status === 'awaiting_approval' || state.status === 'stopped';
  const status: PhaseStatus | RunStatus = phase === 'in_progress' && halted ? state.status : phase;
  return { done: status === 'passed', mark: marks[status], words: statusWords(status) };
}
