import { resolve } from 'node:path';
import type { Command } from 'commander';
import { listRuns, loadRun, type StoredRun } from '../../engine/runs.js';
import { completionStatus, renderCompletionStatus } from '../../report/completionStatus.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { type StateDirOption, withStateDir } from './run.js';

/** `shipcheck status [RUN]`: the seed's Completion Status block, from the run logs. */
export function registerStatus(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('status')
      .description(
        'print the Completion Status block of a run (without RUN: the latest run of each checklist and environment)',
      )
      .argument('[run]', 'run id')
      .option('--json', 'machine-readable output'),
  ).action(async (runId: string | undefined, flags: StateDirOption & { json?: boolean }) => {
    const stateDir = resolve(flags.stateDir);
    const runs = await listRuns(stateDir);
    const chosen: StoredRun[] =
      runId !== undefined ? [await loadRun(stateDir, runId)] : latestPerChecklistAndEnvironment(runs);
    const blocks = chosen.map((run) => completionStatus(run, runs));
    if (flags.json) return printJson(context.output, runId !== undefined ? blocks[0] : blocks);
    if (blocks.length === 0) return context.output.out(`no runs in ${stateDir}`);
    context.output.out(blocks.map(renderCompletionStatus).join('\n\n'));
  });
}

function latestPerChecklistAndEnvironment(runs: readonly StoredRun[]): StoredRun[] {
  const latest = new Map<string, StoredRun>();
  for (const run of runs)
    if (!run.state.rehearse) latest.set(`${run.state.checklist}\u0000${run.state.environment}`, run);
  return [...latest.values()];
}
