import type { RunEvent } from '../events.js';
import type { RunState } from '../state.js';
import type { RunRenderer } from './types.js';

/**
 * `--json`: every run-log event as one JSON line on stdout, for machines. A phase or run
 * that finished `passed` with warned steps is shown with the status the fold reads,
 * `passed_with_warnings`: a machine checking `status === 'passed'` must not take it for a pass.
 */
export function createJsonRenderer(write: (line: string) => void): RunRenderer {
  return {
    start() {},
    event(event: RunEvent, state: RunState) {
      write(JSON.stringify(withVerdict(event, state)));
    },
    async stop() {},
  };
}

function withVerdict(event: RunEvent, state: RunState): object {
  if (event.type === 'run_finished' && event.status !== state.status) return { ...event, status: state.status };
  if (event.type === 'phase_finished' && state.phaseStatus[event.phaseId] === 'passed_with_warnings')
    return { ...event, status: 'passed_with_warnings' };
  return event;
}
