import type { RunEvent } from './events.js';

/**
 * The checkpoints a step's attempts recorded since the step last finished or was skipped:
 * what a resumed attempt continues from. A finished step's checkpoints belong to that
 * finished attempt, so a later run of the step (a retry after a failure) starts afresh.
 *
 * @example
 * stepCheckpoints(journal.events, 'hour-one') // [{ kind: 'window', … }, { kind: 'sample', … }]
 */
export function stepCheckpoints(events: readonly RunEvent[], stepId: string): unknown[] {
  let found: unknown[] = [];
  for (const event of events) {
    if (!('stepId' in event) || event.stepId !== stepId) continue;
    if (event.type === 'step_checkpoint') found.push(event.data);
    else if (event.type === 'step_finished' || event.type === 'step_skipped') found = [];
  }
  return found;
}
