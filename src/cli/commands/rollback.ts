import { resolve } from 'node:path';
import type { Command } from 'commander';
import { rollbackRun } from '../../engine/manualRollback.js';
import { loadRun } from '../../engine/runs.js';
import type { RollbackBranch } from '../../checklist/types.js';
import type { CliContext } from '../context.js';
import { oneOf } from '../options.js';
import { finishRun, loadChecklistFile, rendererFor, type StateDirOption, withStateDir } from './run.js';

/** `shipcheck rollback RUN`: runs the checklist's rollback procedure now, on the run's environment. */
export function registerRollback(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('rollback')
      .description(
        "run the checklist's rollback procedure now on the run's environment, recorded in the run's log " +
          '(exit 0 rolled back, 7 failed to roll back: manual repair needed)',
      )
      .argument('<run>', 'run id')
      .option(
        '--branch <branch>',
        'function_related (drop the function, verify removal) | data_corruption (restore the backup, then drop) | keep_monitoring',
        oneOf('--branch', ['function_related', 'data_corruption', 'keep_monitoring'] as const),
        'function_related',
      )
      .option('--reason <text>', 'why, for the log and the report')
      .option('--checklist <file>', 'checklist file (default: the file the run was started from)')
      .option('--take-over', 'take over a stale lease')
      .option('--json', 'one JSON event per line on stdout'),
  ).action(
    async (
      runId: string,
      flags: StateDirOption & { branch: RollbackBranch; reason?: string; checklist?: string; takeOver?: boolean; json?: boolean },
    ) => {
      const stateDir = resolve(flags.stateDir);
      const { state } = await loadRun(stateDir, runId);
      const checklist = await loadChecklistFile(flags.checklist ?? state.checklistFile);
      const result = await rollbackRun({
        checklist,
        stateDir,
        runId,
        branch: flags.branch,
        env: context.env,
        renderer: rendererFor(context, flags.json),
        ...(flags.reason !== undefined && { reason: flags.reason }),
        ...(flags.takeOver !== undefined && { takeOver: flags.takeOver }),
      });
      finishRun(context, result, flags.json);
    },
  );
}
