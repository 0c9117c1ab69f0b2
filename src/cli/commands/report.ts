import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Checklist } from '../../checklist/types.js';
import { listRuns, loadRun } from '../../engine/runs.js';
import { renderJsonReport } from '../../report/json.js';
import { renderMarkdownReport } from '../../report/markdown.js';
import { buildRunReport } from '../../report/runReport.js';
import type { CliContext } from '../context.js';
import { oneOf } from '../options.js';
import { loadChecklistFile, type StateDirOption, withStateDir } from './run.js';

/** `shipcheck report RUN --format md|json [--out FILE]`: the run's evidence, from its log. */
export function registerReport(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('report')
      .description('write the report of a run: every step with expectation, observation, timings, evidence (sha256) and approvals')
      .argument('<run>', 'run id')
      .option('--format <format>', 'md | json', oneOf('--format', ['md', 'json'] as const), 'md')
      .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
      .option('--checklist <file>', 'checklist file, to list the steps not executed (default: the file the run was started from, if still there)'),
  ).action(async (runId: string, flags: StateDirOption & { format: 'md' | 'json'; out?: string; checklist?: string }) => {
    const stateDir = resolve(flags.stateDir);
    const run = await loadRun(stateDir, runId);
    let checklist: Checklist | undefined;
    try {
      checklist = await loadChecklistFile(flags.checklist ?? run.state.checklistFile);
    } catch (error) {
      if (flags.checklist !== undefined) throw error; // asked for explicitly: its problems matter
    }
    const report = await buildRunReport(run, await listRuns(stateDir), checklist);
    const text = flags.format === 'json' ? renderJsonReport(report) : renderMarkdownReport(report);
    if (flags.out === undefined) return context.output.out(text.trimEnd());
    await writePrivate(flags.out, text);
    context.output.err(`wrote ${flags.out}`);
  });
}

async function writePrivate(path: string, text: string): Promise<void> {
  let file;
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
