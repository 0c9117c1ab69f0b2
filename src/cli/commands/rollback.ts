import { resolve } from 'node:path';
import type { Command } from 'commander';
import { rollbackRun } from '../../engine/manualRollback.js';
import { loadRun } from '../../engine/runs.js';
import type { RollbackBranch } from '../../checklist/types.js';
import type { CliContext } from '../context.js';
import { oneOf } from '../options.js';
import {
  collect,
  finishRun,
  loadChecklistFile,
  operatorPrompt,
  rendererFor,
  type StateDirOption,
  untilCtrlC,
  withStateDir,
} from './run.js';

/** `shipcheck rollback RUN`: runs the checklist's rollback procedure now, on the run's environment. */
export function registerRollback(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('rollback')
      .description(
        "run the checklist's rollback procedure now on the run's environment, recorded in the run's log; " +
          'a rollback of the run left unfinished (its process was killed) is finished instead, steps done not repeated ' +
          '(exit 0 rolled back, 4 another run holds the lease (or took it over mid-rollback), ' +
          '6 an interrupted step needs --retry-step/--skip-step, 7 failed to roll back: manual repair needed, ' +
          '130 stopped by Ctrl-C: shipcheck rollback RUN finishes it)',
      )
      .argument('<run>', 'run id')
      .option(
        '--branch <branch>',
        'function_related (drop the function, verify removal; the default) | data_corruption (restore the backup, then drop) | ' +
          "keep_monitoring; default for a run with an unfinished rollback: that rollback's branch",
        oneOf('--branch', ['function_related', 'data_corruption', 'keep_monitoring'] as const),
      )
      .option('--reason <text>', 'why, for the log and the report')
      .option('--checklist <file>', 'checklist file (default: the file the run was started from)')
      .option('--take-over', 'take over a stale lease')
      .option(
        '--retry-step <id>',
        'run this interrupted, non-idempotent rollback step again (after checking the target by hand)',
      )
      .option(
        '--skip-step <id>',
        'record this interrupted rollback step as skipped: it had completed (repeatable)',
        collect,
        [],
      )
      .option('--json', 'one JSON event per line on stdout'),
  ).action(
    async (
      runId: string,
      flags: StateDirOption & {
        branch?: RollbackBranch;
        reason?: string;
        checklist?: string;
        takeOver?: boolean;
        retryStep?: string;
        skipStep?: string[];
        json?: boolean;
      },
    ) => {
      const stateDir = resolve(flags.stateDir);
      const { state } = await loadRun(stateDir, runId);
      const checklist = await loadChecklistFile(flags.checklist ?? state.checklistFile);
      const askOperator = operatorPrompt(context);
      const result = await untilCtrlC((signal) =>
        rollbackRun({
          checklist,
          signal,
          stateDir,
          runId,
          env: context.env,
          renderer: rendererFor(context, flags.json),
          ...(flags.branch !== undefined && { branch: flags.branch }),
          ...(flags.reason !== undefined && { reason: flags.reason }),
          ...(flags.takeOver !== undefined && { takeOver: flags.takeOver }),
          ...(flags.retryStep !== undefined && { retryStep: flags.retryStep }),
          ...(flags.skipStep && flags.skipStep.length > 0 && { skipSteps: flags.skipStep }),
          ...(askOperator && { askOperator }),
        }),
      );
      finishRun(context, result, flags.json);
    },
  );
}
