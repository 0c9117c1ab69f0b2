import { resolve } from 'node:path';
import type { Command } from 'commander';
import { recordApproval } from '../../engine/approvals.js';
import { logKeyFrom } from '../../engine/logLine.js';
import { loadRun } from '../../engine/runs.js';
import { statusWords } from '../../engine/statusWords.js';
import type { ApprovalRecord } from '../../steps/types.js';
import type { CliContext } from '../context.js';
import { oneOf } from '../options.js';
import { printJson } from '../output.js';
import { loadChecklistFile, type StateDirOption, withStateDir } from './run.js';

interface ApproveFlags extends StateDirOption {
  by: string;
  decision?: ApprovalRecord['decision'];
  note?: string;
  conditions?: string;
  conditionsMet?: boolean;
  step?: string;
  checklist?: string;
  json?: boolean;
}

/** `shipcheck approve RUN --by NAME --decision …`: records a sign-off in the run's log. */
export function registerApprove(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('approve')
      .description(
        'record an approval decision (with time and OS user) for the approval step a run waits at; ' +
          'approved: the run continues on resume; rejected: this run ends REJECTED (a new run asks again); conditional: needs a later --conditions-met. ' +
          'A decision belongs to its run: one given in an earlier run is shown as context, never reused',
      )
      .argument('<run>', 'run id')
      .requiredOption('--by <name>', 'who decides (e.g. the product owner)')
      .option(
        '--decision <decision>',
        'approved | conditional | rejected',
        oneOf('--decision', ['approved', 'conditional', 'rejected'] as const),
      )
      .option('--note <text>', 'reason or remark, kept in the report')
      .option('--conditions <text>', 'with --decision conditional: what must be addressed first')
      .option('--conditions-met', 'the conditions of an earlier conditional approval are met')
      .option(
        '--step <id>',
        'the approval step (default: the one the run waits at); must be an approval step of the run',
      )
      .option(
        '--checklist <file>',
        'with --step: checklist file to check the step against (default: the file the run was started from)',
      )
      .option('--json', 'machine-readable output'),
  ).action(async (runId: string, flags: ApproveFlags) => {
    const stateDir = resolve(flags.stateDir);
    // An explicit --step is checked against the run's checklist: it must be one of its approval steps.
    const checklist =
      flags.step !== undefined
        ? await loadChecklistFile(flags.checklist ?? (await loadRun(stateDir, runId)).state.checklistFile)
        : undefined;
    const { stepId, earlier } = await recordApproval({
      stateDir,
      runId,
      by: flags.by,
      ...(flags.step !== undefined && { stepId: flags.step }),
      ...(checklist && { checklist }),
      ...(flags.decision !== undefined && { decision: flags.decision }),
      ...(flags.note !== undefined && { note: flags.note }),
      ...(flags.conditions !== undefined && { conditions: flags.conditions }),
      ...(flags.conditionsMet !== undefined && { conditionsMet: flags.conditionsMet }),
      logKey: logKeyFrom(context.env),
    });
    const what = flags.conditionsMet ? 'conditions met' : flags.decision;
    if (flags.json)
      return printJson(context.output, { runId, stepId, recorded: what, by: flags.by, ...(earlier && { earlier }) });
    // Context for a reuse: the earlier decision was shown, and this one is recorded for this run only.
    if (earlier) {
      context.output.out(
        `earlier decision for ${stepId}: ${earlier.decision} by ${earlier.by} at ${earlier.at} in run ${earlier.runId} (${statusWords(earlier.runStatus)}); it is not carried over`,
      );
    }
    context.output.out(`recorded for ${stepId} in run ${runId}: ${what} by ${flags.by}`);
    if (flags.decision !== 'conditional') context.output.out(`continue with: shipcheck resume ${runId}`);
  });
}
