import { z } from 'zod';
import type { CumulativeHistogram } from '../../metrics/histogram.js';
import type { Continuity, ServerChange } from '../../metrics/continuity.js';
import type { FunctionSource } from '../../metrics/functionSource.js';
import type { MonitorPoint } from '../../metrics/points.js';
import { currentFigures, currentNames } from '../../metrics/recordedNames.js';
import type { Sample } from '../../metrics/sample.js';
import type { AppFigures, AppSnapshot } from '../../metrics/appFigures.js';
import type { WindowFigures } from '../../metrics/window.js';

/**
 * What a monitor writes to the run log (step_checkpoint events) so that a window survives a
 * restart of shipcheck: its start and planned end once, then every sample as taken. A resumed
 * attempt reads them back and goes on with the same window instead of watching a new one.
 */
export type WindowCheckpoint =
  | {
      readonly kind: 'window_started';
      readonly start: Sample;
      readonly ends_at: string;
      readonly app_start: AppSnapshot | null;
      readonly function_source: FunctionSource | null;
    }
  | {
      readonly kind: 'sample';
      readonly raw: Sample;
      readonly offsets: Continuity['offsets'];
      readonly restarts: number;
      readonly point: MonitorPoint;
      readonly last: { readonly db: WindowFigures; readonly app: AppFigures | null };
      readonly change?: ServerChange;
    }
  | {
      readonly kind: 'window_resumed';
      readonly at: string;
      readonly last_sample_at: string;
      readonly gap_ms: number;
    };

/** The window as the log left it: what a resumed monitor continues from. */
export interface SavedWindow {
  readonly start: Sample;
  readonly endsAt: number;
  readonly appStart: AppSnapshot | null;
  readonly functionSource: FunctionSource | null;
  readonly continuity: Continuity;
  readonly points: MonitorPoint[];
  readonly changes: ServerChange[];
  readonly gaps: { readonly from: string; readonly to: string }[];
  readonly last?: { readonly db: WindowFigures; readonly app: AppFigures | null };
}

// Shapes are checked where the monitor relies on them; the rest is its own earlier output.
const sampleShape = z.looseObject({
  at: z.string(),
  deadlocks: z.number(),
  xactCommit: z.number(),
  xactRollback: z.number(),
  serverStartedAt: z.string(),
});
const checkpointShape = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('window_started'), start: sampleShape, ends_at: z.string() }),
  z.looseObject({
    kind: z.literal('sample'),
    raw: sampleShape,
    offsets: z.record(z.string(), z.number()),
    restarts: z.number(),
    point: z.looseObject({ at: z.string() }),
  }),
  z.looseObject({ kind: z.literal('window_resumed'), at: z.string(), last_sample_at: z.string() }),
]);

/**
 * The window the interrupted attempts recorded, or undefined when they recorded none (the
 * step was killed before its first sample) or it is not a monitor's (an edited checklist).
 *
 * @example
 * const saved = savedWindow(context.checkpoints ?? []);
 * if (saved && Date.now() < saved.endsAt) // go on until the planned end
 */
export function savedWindow(checkpoints: readonly unknown[]): SavedWindow | undefined {
  const parsed = checkpoints.map((c) => checkpointShape.safeParse(c));
  if (parsed.some((p) => !p.success)) return undefined;
  const entries = parsed.map((p) => withCurrentNames(p.data!) as unknown as WindowCheckpoint);
  const first = entries[0];
  if (first?.kind !== 'window_started') return undefined;
  let continuity: Continuity = {
    last: first.start,
    offsets: { deadlocks: 0, xactCommit: 0, xactRollback: 0, functionCalls: 0, functionTotalMs: 0 },
    restarts: 0,
  };
  const points: MonitorPoint[] = [];
  const changes: ServerChange[] = [];
  const gaps: { from: string; to: string }[] = [];
  let last: SavedWindow['last'];
  for (const entry of entries.slice(1)) {
    if (entry.kind === 'sample') {
      continuity = { last: entry.raw, offsets: entry.offsets, restarts: entry.restarts };
      points.push(entry.point);
      last = entry.last;
      if (entry.change) changes.push(entry.change);
    } else if (entry.kind === 'window_resumed') {
      gaps.push({ from: entry.last_sample_at, to: entry.at });
    }
  }
  return {
    start: first.start,
    endsAt: Date.parse(first.ends_at),
    appStart: first.app_start && withInfiniteBuckets(first.app_start),
    functionSource: first.function_source,
    continuity,
    points,
    changes,
    gaps,
    ...(last && { last }),
  };
}

/**
 * A checkpoint logged before the app's figures had generic names (shield_start, shield_* series,
 * last.shield with Shield's "actions"), as one logged now.
 */
function withCurrentNames(entry: Record<string, unknown>): Record<string, unknown> {
  const renamed = currentNames(entry);
  if (entry.kind !== 'sample') return renamed;
  const isRecord = (value: unknown): value is object => typeof value === 'object' && value !== null;
  const last = isRecord(entry.last) ? currentNames(entry.last) : undefined;
  return {
    ...renamed,
    point: isRecord(entry.point) ? currentNames(entry.point) : entry.point,
    last: last && isRecord(last.app) ? { ...last, app: currentFigures(last.app) } : (last ?? entry.last),
  };
}

/** JSON has no Infinity: the +Inf bucket of a histogram comes back from the log as null. */
function withInfiniteBuckets(snapshot: AppSnapshot): AppSnapshot {
  const fix = (h: CumulativeHistogram): CumulativeHistogram => ({
    ...h,
    buckets: h.buckets.map((b) => ({ ...b, le: b.le ?? Infinity })),
  });
  return { ...snapshot, duration: fix(snapshot.duration), roundTrips: fix(snapshot.roundTrips) };
}
