import type { RunState, StepState } from '../state.js';

/** How a step that a resumed run will not run again ended in an earlier session. */
export interface EarlierStep {
  readonly stepId: string;
  readonly title: string;
  readonly end: 'passed' | 'warned' | 'skipped' | 'failed';
  /** What every renderer says after the title, e.g. "passed in an earlier session". */
  readonly text: string;
}

/**
 * The steps the run log already counts as done when a run resumes — the ones the
 * engine steps over (passed, skipped, or failed with on_fail: warn; and the failure
 * whose rollback a resumed run finishes) — so that the live list and the plain
 * lines show them as done instead of "not run".
 *
 * @example
 * stepsDoneEarlier(state) // [{ stepId: 'check', title: 'Check', end: 'passed', text: 'passed in an earlier session' }]
 */
export function stepsDoneEarlier(state: RunState): EarlierStep[] {
  return state.steps.flatMap((step) => {
    const ended = earlierEnd(step);
    return ended ? [{ stepId: step.id, title: step.title, ...ended }] : [];
  });
}

function earlierEnd(step: StepState): Pick<EarlierStep, 'end' | 'text'> | undefined {
  if (step.status === 'Success') return { end: 'passed', text: 'passed in an earlier session' };
  if (step.status === 'Skipped')
    return { end: 'skipped', text: `skipped in an earlier session: ${step.skipReason ?? 'no reason recorded'}` };
  const why = step.outcome?.message ?? step.error?.message;
  if (step.status === 'Error' && step.action === 'warn')
    return { end: 'warned', text: `warned in an earlier session${why ? `: ${why}` : ''}` };
  // Only a run that resumes its rollback has one: every other rollback ends the run.
  if (step.status === 'Error' && step.action === 'rollback')
    return { end: 'failed', text: `failed in an earlier session${why ? `: ${why}` : ''}` };
  return undefined;
}
