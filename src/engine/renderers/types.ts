import type { Checklist, ChecklistPhase } from '../../checklist/types.js';
import type { RunEvent } from '../events.js';
import type { RunState } from '../state.js';

/**
 * How a run is shown (listr2's idea): a live list on a TTY, plain lines in CI,
 * one JSON event per line with --json. The engine calls these; it never prints.
 */
export interface RunRenderer {
  /** Before the first event: what will run (for a task list drawn up front). */
  start(plan: RenderPlan): void;
  /** Every event appended to the run log, in order, with the state after it. */
  event(event: RunEvent, state: RunState): void;
  /** After the last event; a live renderer settles its display here. */
  stop(): Promise<void>;
}

export interface RenderPlan {
  readonly checklist: Checklist;
  readonly runId: string;
  readonly environment: string;
  readonly phases: readonly ChecklistPhase[];
  readonly rehearse: boolean;
}

/** For library use and tests: shows nothing. */
export const silentRenderer: RunRenderer = {
  start() {},
  event() {},
  async stop() {},
};
