import type { Command } from 'commander';
import { loadRun } from '../../engine/runs.js';
import type { CliContext } from '../context.js';
import {
  finishRun,
  loadChecklistFile,
  operatorPrompt,
  rendererFor,
  runFlagsToOptions,
  runFromCli,
  type RunFlags,
  withRunFlags,
} from './run.js';

/** `shipcheck resume RUN`: continues one run by id, with the checklist file it was started from. */
export function registerResume(program: Command, context: CliContext): void {
  withRunFlags(
    program
      .command('resume')
      .description('continue an unfinished run: finished steps are not repeated (exit codes as for run)')
      .argument('<run>', 'run id (shipcheck status lists them)')
      .option('--checklist <file>', 'checklist file (default: the file the run was started from)'),
  ).action(async (runId: string, flags: RunFlags & { checklist?: string }) => {
    const { state } = await loadRun(runFlagsToOptions(flags).stateDir, runId);
    const checklist = await loadChecklistFile(flags.checklist ?? state.checklistFile);
    const askOperator = operatorPrompt(context);
    const result = await runFromCli(context, {
      checklist,
      environment: state.environment,
      runId,
      ...runFlagsToOptions(flags),
      ...(askOperator && { askOperator }),
      renderer: rendererFor(context, flags.json),
    });
    finishRun(context, result, flags.json);
  });
}
