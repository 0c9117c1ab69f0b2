import { formatDuration } from '../steps/monitor/duration.js';
import type { StepOutcome } from '../steps/types.js';

/** The step kinds that wait out a time window, and the spec fields that hold it. */
const windowFields: Readonly<Record<string, readonly string[]>> = {
  monitor: ['duration'],
  baseline: ['window'],
};

/** Shortest sampling interval the demo uses (the monitor's own minimum is 100 ms). */
const minIntervalMs = 200;
/** Samples per shortened window, so a short window still shows a trend. */
const samplesPerWindow = 4;

export interface CappedSpec {
  readonly spec: unknown;
  /** Set when a window was shortened: what the checklist says and what is watched. */
  readonly capped?: { readonly field: string; readonly checklistMs: number; readonly watchedMs: number };
}

/**
 * A monitor's `duration` or a baseline's `window` longer than `capMs`, shortened to it
 * (the checklist's 1 h / 3 h / 20 h become seconds); the monitor's interval shrinks with
 * it so the short window still has a few samples. Other kinds pass through unchanged.
 */
export function capWindow(kind: string, spec: unknown, capMs: number): CappedSpec {
  const fields = windowFields[kind];
  if (fields === undefined || typeof spec !== 'object' || spec === null) return { spec };
  const record = spec as Record<string, unknown>;
  for (const field of fields) {
    const checklistMs = record[field];
    if (typeof checklistMs !== 'number' || checklistMs <= capMs) continue;
    const interval = record.interval;
    const shorterInterval =
      typeof interval === 'number' ? { interval: Math.min(interval, Math.max(minIntervalMs, Math.floor(capMs / samplesPerWindow))) } : {};
    return { spec: { ...record, [field]: capMs, ...shorterInterval }, capped: { field, checklistMs, watchedMs: capMs } };
  }
  return { spec };
}

/** The outcome says, in its message and its observation, that the window was shortened. */
export function annotateCapped(outcome: StepOutcome, capped: NonNullable<CappedSpec['capped']>): StepOutcome {
  const note = `demo: ${formatDuration(capped.checklistMs)} window shortened to ${formatDuration(capped.watchedMs)}`;
  const observed =
    typeof outcome.observed === 'object' && outcome.observed !== null && !Array.isArray(outcome.observed)
      ? { ...(outcome.observed as Record<string, unknown>), demo_window: { checklist_ms: capped.checklistMs, watched_ms: capped.watchedMs } }
      : outcome.observed;
  return { ...outcome, observed, message: `${outcome.message} [${note}]` };
}

export function cappedNote(capped: NonNullable<CappedSpec['capped']>): string {
  return `demo: watching ${formatDuration(capped.watchedMs)} instead of the checklist's ${formatDuration(capped.checklistMs)} (shipcheck demo --monitor-window)`;
}
