import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checklist } from '../checklist/types.js';
import { ensurePrivateDir } from '../engine/runLog.js';
import { listRuns } from '../engine/runs.js';
import { type CompletionStatus, completionStatus, renderCompletionStatus } from '../report/completionStatus.js';
import { renderMarkdownReport } from '../report/markdown.js';
import { buildRunReport } from '../report/runReport.js';

export interface DemoReports {
  /** One Markdown report per run, under <state dir>/reports/. */
  readonly files: readonly string[];
  /** The Completion Status of the last run (it spans both environments). */
  readonly completion?: CompletionStatus;
  readonly completionText?: string;
}

/**
 * Writes the report of each of the demo's runs — the same Markdown `shipcheck report
 * RUN --format md` prints — and computes the status block `shipcheck status` shows.
 */
export async function writeDemoReports(stateDir: string, runIds: readonly string[], checklist: Checklist): Promise<DemoReports> {
  const runs = await listRuns(stateDir);
  const ours = runIds.map((id) => runs.find((r) => r.runId === id)).filter((r) => r !== undefined);
  if (ours.length === 0) return { files: [] };
  const dir = join(stateDir, 'reports');
  await ensurePrivateDir(dir);
  const files: string[] = [];
  for (const run of ours) {
    const file = join(dir, `${run.runId}.md`);
    await writePrivate(file, renderMarkdownReport(await buildRunReport(run, runs, checklist)));
    files.push(file);
  }
  const completion = completionStatus(ours.at(-1)!, runs);
  return { files, completion, completionText: renderCompletionStatus(completion) };
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
