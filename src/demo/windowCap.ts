import { formatDuration } from '../steps/shared/duration.js';
import type { StepOutcome } from '../steps/types.js';

/** The step kinds that wait out a time window, and the spec fields that hold it. */
const windowFields: Readonly<Record<string, readonly string[]>> = {
  monitor: ['duration'],
  baseline: ['window'],
};

/**
 * Criteria a shortened window cannot judge: "performance degradation > 20 %" compares a
 * mean latency with the baseline's, and over a few seconds on a busy machine that mean
 * moves by more than 20 % from one window to the next (measured: +25 % and +58 % with
 * no change at all). Over the checklist's hour it is a real signal; over 5 s it is noise.
 */
const unjudgeableInShortWindows = ['max_degradation'] as const;

/** Shortest sampling interval the demo uses (the monitor's own minimum is 100 ms). */
const minIntervalMs = 200;
/** Samples per shortened window, so a short window still shows a trend. */
const samplesPerWindow = 4;

export interface WindowCap {
  readonly field: string;
  readonly checklistMs: number;
  readonly watchedMs: number;
  /** Criteria left out because a window this short cannot judge them. */
  readonly notJudged: readonly string[];
}

export interface CappedSpec {
  readonly spec: unknown;
  /** Set when a window was shortened. */
  readonly capped?: WindowCap;
}

/**
 * A monitor's `duration` or a baseline's `window` longer than `capMs`, shortened to it
 * (the checklist's 1 h / 3 h / 20 h become seconds); the monitor's interval shrinks with
 * it so the short window still has a few samples, and the criteria such a window cannot
 * judge are left out (and said so). Other kinds pass through unchanged.
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
      typeof interval === 'number'
        ? { interval: Math.min(interval, Math.max(minIntervalMs, Math.floor(capMs / samplesPerWindow))) }
        : {};
    const { criteria, notJudged } = withoutUnjudgeable(record.criteria);
    return {
      spec: { ...record, [field]: capMs, ...shorterInterval, ...(criteria !== undefined && { criteria }) },
      capped: { field, checklistMs, watchedMs: capMs, notJudged },
    };
  }
  return { spec };
}

function withoutUnjudgeable(criteria: unknown): { criteria?: Record<string, unknown>; notJudged: string[] } {
  if (typeof criteria !== 'object' || criteria === null) return { notJudged: [] };
  const kept = { ...(criteria as Record<string, unknown>) };
  const notJudged = unjudgeableInShortWindows.filter((name) => kept[name] !== undefined);
  for (const name of notJudged) delete kept[name];
  // A monitor needs at least one criterion; if only unjudgeable ones were set, keep them.
  return Object.keys(kept).length > 0 ? { criteria: kept, notJudged } : { notJudged: [] };
}

/** The outcome says, in its message and its observation, that the window was shortened. */
export function annotateCapped(outcome: StepOutcome, capped: WindowCap): StepOutcome {
  const observed =
    typeof outcome.observed === 'object' && outcome.observed !== null && !Array.isArray(outcome.observed)
      ? {
          ...(outcome.observed as Record<string, unknown>),
          demo_window: { checklist_ms: capped.checklistMs, watched_ms: capped.watchedMs, not_judged: capped.notJudged },
        }
      : outcome.observed;
  return { ...outcome, observed, message: `${outcome.message} [${shortNote(capped)}]` };
}

export function cappedNote(capped: WindowCap): string {
  return `demo: watching ${formatDuration(capped.watchedMs)} instead of the checklist's ${formatDuration(capped.checklistMs)} (shipcheck demo --monitor-window)${notJudgedNote(capped)}`;
}

function shortNote(capped: WindowCap): string {
  return `demo: ${formatDuration(capped.checklistMs)} window shortened to ${formatDuration(capped.watchedMs)}${notJudgedNote(capped)}`;
}

function notJudgedNote(capped: WindowCap): string {
  return capped.notJudged.length > 0 ? `; ${capped.notJudged.join(', ')} not judged over so short a window` : '';
}
