import type { ShieldMetrics } from '../shield/http/metrics.js';
import { type WriterName, writerNames } from '../shield/writers/index.js';

/** shield_actions_total by writer: what the server itself saw, whatever the client timed. */
export type ActionCounts = Readonly<Record<WriterName, { readonly success: number; readonly failed: number }>>;

/** Reads the in-process server's counters (no scrape: the demo owns the server). */
export async function readActionCounts(metrics: ShieldMetrics): Promise<ActionCounts> {
  const counts = Object.fromEntries(writerNames.map((w) => [w, { success: 0, failed: 0 }])) as Record<
    WriterName,
    { success: number; failed: number }
  >;
  const metric = metrics.registry.getSingleMetric('shield_actions_total');
  if (metric === undefined) return counts;
  for (const { labels, value } of (await metric.get()).values) {
    const writer = counts[labels.writer as WriterName];
    if (writer === undefined) continue;
    // `invalid` (a refused body) is a client error, but the demo's load never sends one: count it as a failure.
    if (labels.result === 'success') writer.success += value;
    else writer.failed += value;
  }
  return counts;
}

/** Requests and failures between two readings, across writers. */
export function countsBetween(before: ActionCounts, after: ActionCounts): { requests: number; failed: number } {
  let requests = 0;
  let failed = 0;
  for (const w of writerNames) {
    const success = after[w].success - before[w].success;
    const failures = after[w].failed - before[w].failed;
    requests += success + failures;
    failed += failures;
  }
  return { requests, failed };
}
