import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Checklist } from '../../checklist/types.js';
import { logKeyFrom } from '../../engine/logLine.js';
import { listRuns, loadRun } from '../../engine/runs.js';
import { renderHtmlReport } from '../../report/html.js';
import { renderJsonReport } from '../../report/json.js';
import { renderMarkdownReport } from '../../report/markdown.js';
import { buildRunReport, type RunReport } from '../../report/runReport.js';
import { loadChartAssets } from '../../report/uplotAssets.js';
import type { CliContext } from '../context.js';
import { oneOf } from '../options.js';
import { loadChecklistFile, type StateDirOption, withStateDir } from './run.js';

const formats = ['md', 'json', 'html'] as const;
type ReportFormat = (typeof formats)[number];

/** `shipcheck report RUN --format md|json|html [--out FILE]`: the run's evidence, from its log. */
export function registerReport(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('report')
      .description(
        'write the report of a run: every step with expectation, observation, timings, evidence (sha256) and approvals; the baseline-vs-after benchmark tables; html adds a chart of every monitored series',
      )
      .argument('<run>', 'run id')
      .option(
        '--format <format>',
        'md | json | html (one self-contained file that opens offline)',
        oneOf('--format', formats),
        'md',
      )
      .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
      .option(
        '--checklist <file>',
        'checklist file, to list the steps not executed (default: the file the run was started from, if still there)',
      ),
  ).action(
    async (runId: string, flags: StateDirOption & { format: ReportFormat; out?: string; checklist?: string }) => {
      const stateDir = resolve(flags.stateDir);
      const logKey = logKeyFrom(context.env);
      const run = await loadRun(stateDir, runId, logKey);
      let checklist: Checklist | undefined;
      try {
        checklist = await loadChecklistFile(flags.checklist ?? run.state.checklistFile);
      } catch (error) {
        if (flags.checklist !== undefined) throw error; // asked for explicitly: its problems matter
      }
      const report = await buildRunReport(run, await listRuns(stateDir, logKey), checklist);
      const text = await render(report, flags.format);
      if (flags.out === undefined) return context.output.out(text.trimEnd());
      await writePrivate(flags.out, text);
      context.output.err(`wrote ${flags.out}`);
    },
  );
}

async function render(report: RunReport, format: ReportFormat): Promise<string> {
  if (format === 'json') return renderJsonReport(report);
  if (format === 'html') return renderHtmlReport(report, await loadChartAssets());
  return renderMarkdownReport(report);
}

async function writePrivate(path: string, text: string): Promise<void> {
  let file: FileHandle;
  try {
    file = await open(path, 'w', 0o600);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
}
