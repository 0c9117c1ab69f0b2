import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checklist } from '../checklist/types.js';
import { ensurePrivateDir } from '../engine/runLog.js';
import { listRuns, type StoredRun } from '../engine/runs.js';
import { lockTableHeader, lockTables } from '../report/lockTable.js';
import { type CompletionStatus, completionStatus, renderCompletionStatus } from '../report/completionStatus.js';
import { renderHtmlReport } from '../report/html.js';
import { renderMarkdownReport } from '../report/markdown.js';
import { buildRunReport } from '../report/runReport.js';
import { loadChartAssets } from '../report/uplotAssets.js';

export interface DemoReports {
  /** Per run a Markdown and a self-contained HTML report (with charts), under <state dir>/reports/. */
  readonly files: readonly string[];
  /** The Completion Status of the last run (it spans both environments). */
  readonly completion?: CompletionStatus;
  readonly completionText?: string;
  /** The migrations' lock tables, measured statement by statement in the first run that applied them. */
  readonly locksText?: string;
}

/**
 * Writes the reports of each of the demo's runs — the same as `shipcheck report RUN
 * --format md|html` — and computes the status block `shipcheck status` shows.
 */
export async function writeDemoReports(
  stateDir: string,
  runIds: readonly string[],
  checklist: Checklist,
): Promise<DemoReports> {
  const runs = await listRuns(stateDir);
  const ours = runIds.map((id) => runs.find((r) => r.runId === id)).filter((r) => r !== undefined);
  if (ours.length === 0) return { files: [] };
  const dir = join(stateDir, 'reports');
  await ensurePrivateDir(dir);
  const files: string[] = [];
  const assets = await loadChartAssets();
  for (const run of ours) {
    const report = await buildRunReport(run, runs, checklist);
    const markdown = join(dir, `${run.runId}.md`);
    const html = join(dir, `${run.runId}.html`);
    await writePrivate(markdown, renderMarkdownReport(report));
    await writePrivate(html, renderHtmlReport(report, assets));
    files.push(markdown, html);
  }
  const completion = completionStatus(ours.at(-1)!, runs);
  const locksText = lockLines(ours);
  return { files, completion, completionText: renderCompletionStatus(completion), ...(locksText && { locksText }) };
}

/** The first run's lock tables as plain columns: what each statement of the migration locked. */
function lockLines(runs: readonly StoredRun[]): string | undefined {
  for (const run of runs) {
    for (const step of run.state.steps) {
      for (const table of lockTables(step.outcome?.observed)) {
        const rows = [[...lockTableHeader], ...table.rows].map((cells) => {
          const [line, statement, locks, reads, writes, rewrite, time] = cells;
          return `  ${line!.padEnd(5)} ${locks!.padEnd(26)} ${reads!.padEnd(12)} ${writes!.padEnd(13)} ${rewrite!.padEnd(8)} ${time!.padStart(9)}  ${statement!.slice(0, 60)}`;
        });
        return [
          `Locks taken by migration ${table.migration} on ${run.state.environment} (${step.id}), statement by statement, measured in its transaction:`,
          ...rows,
        ].join('\n');
      }
    }
  }
  return undefined;
}

async function writePrivate(path: string, text: string): Promise<void> {
  const file = await open(path, 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
}
