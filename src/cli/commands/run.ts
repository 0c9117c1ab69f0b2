import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadChecklist } from '../../checklist/loader.js';
import type { Checklist, ChecklistStep } from '../../checklist/types.js';
import type { InterruptedStepDecision } from '../../engine/phases.js';
import { askAboutInterruptedStep } from '../../engine/renderers/interruptedStepPrompt.js';
import { chooseRenderer } from '../../engine/renderers/select.js';
import type { RunRenderer } from '../../engine/renderers/types.js';
import { runChecklist, type RunOptions, type RunResult } from '../../engine/runner.js';
import { ExitCode } from '../../errors.js';
import { defaultRegistry } from '../../steps/registry.js';
import type { CliContext } from '../context.js';
import { processOutput, reportError } from '../output.js';

export interface StateDirOption {
  stateDir: string;
}

export interface RunFlags extends StateDirOption {
  retryStep?: string;
  skipStep?: string[];
  takeOver?: boolean;
  acceptChanges?: boolean;
  json?: boolean;
}

/** --state-dir, shared by every run-related command. */
export function withStateDir(command: Command): Command {
  return command.option('--state-dir <dir>', 'where runs, evidence and leases are kept', '.shipcheck');
}

/** Flags that steer a run (new or resumed). */
export function withRunFlags(command: Command): Command {
  return withStateDir(command)
    .option('--retry-step <id>', 'run this interrupted, non-idempotent step again (after checking the target by hand)')
    .option('--skip-step <id>', 'record this step as skipped instead of running it (repeatable)', collect, [])
    .option('--take-over', 'take over a stale lease (expired, or its process on this host is gone)')
    .option('--accept-changes', 'continue a run although steps it already started were edited in the checklist')
    .option('--json', 'one JSON event per line on stdout');
}

/** commander's way to repeat a flag (--skip-step A --skip-step B). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function loadChecklistFile(file: string): Promise<Checklist> {
  return loadChecklist(file, defaultRegistry);
}

/** A live list on a TTY, plain lines otherwise, JSON lines with --json. */
export function rendererFor(context: CliContext, json: boolean | undefined): RunRenderer {
  const tty = context.output === processOutput && process.stdout.isTTY === true;
  return chooseRenderer({ json: json ?? false, tty, write: (line) => context.output.out(line) });
}

/** On a TTY the operator decides about an interrupted step; elsewhere the run stops and says how to decide. */
export function operatorPrompt(
  context: CliContext,
): ((step: ChecklistStep) => Promise<InterruptedStepDecision>) | undefined {
  if (context.output !== processOutput || !process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return (step) => askAboutInterruptedStep(step, { input: process.stdin, output: process.stderr });
}

/** Runs with Ctrl-C stopping cleanly between steps (the run stays resumable). */
export function runFromCli(context: CliContext, options: Omit<RunOptions, 'signal'>): Promise<RunResult> {
  return untilCtrlC((signal) => runChecklist({ ...options, signal, env: context.env }));
}

/** `work` with a signal that Ctrl-C aborts: run, resume and rollback stop the same way (exit 130, resumable). */
export async function untilCtrlC<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** Sets the exit code from the run's result and prints its error (one sentence, detail, hint). */
export function finishRun(context: CliContext, result: RunResult, json: boolean | undefined): void {
  if (result.error) {
    context.exitCode = reportError(context.output, result.error, { json: json ?? false });
    if (!json && result.runId) context.output.err(`  run: ${result.runId} (shipcheck status ${result.runId})`);
    return;
  }
  // A warning is never a pass: scripts and CI see it in the exit code, not only in the words.
  context.exitCode = result.status === 'passed_with_warnings' ? ExitCode.passedWithWarnings : ExitCode.ok;
}

export function runFlagsToOptions(
  flags: RunFlags,
): Pick<RunOptions, 'retryStep' | 'skipSteps' | 'takeOver' | 'acceptChanges' | 'stateDir'> {
  return {
    stateDir: resolve(flags.stateDir),
    ...(flags.retryStep !== undefined && { retryStep: flags.retryStep }),
    ...(flags.skipStep && flags.skipStep.length > 0 && { skipSteps: flags.skipStep }),
    ...(flags.takeOver !== undefined && { takeOver: flags.takeOver }),
    ...(flags.acceptChanges !== undefined && { acceptChanges: flags.acceptChanges }),
  };
}

/** `shipcheck run FILE --env ENV`: runs the environment's phases, or continues its unfinished run. */
export function registerRun(program: Command, context: CliContext): void {
  withRunFlags(
    program
      .command('run')
      .description(
        'run the phases of a checklist on one environment; continues the latest unfinished run of that checklist and environment.\n' +
          'Exit codes: 0 passed, 1 a check failed (or the run was rolled back / rejected), 2 usage, 3 waiting for approval, ' +
          '4 another run holds the lease (or took it over mid-run), 6 an interrupted step needs --retry-step/--skip-step, ' +
          '7 failed to roll back (manual repair needed), 8 every step ran but some failed under on_fail: warn (PASSED WITH WARNINGS), 130 stopped by Ctrl-C (resumable)',
      )
      .argument('<file>', 'checklist YAML file')
      .requiredOption('--env <name>', 'environment to run (e.g. staging, production)')
      .option('--phase <id>', 'run only this phase')
      .option(
        '--rehearse',
        'run the rehearsable steps inside one transaction and roll it back: the target is unchanged',
      ),
  ).action(async (file: string, flags: RunFlags & { env: string; phase?: string; rehearse?: boolean }) => {
    const checklist = await loadChecklistFile(file);
    const askOperator = operatorPrompt(context);
    const result = await runFromCli(context, {
      checklist,
      environment: flags.env,
      ...runFlagsToOptions(flags),
      ...(flags.phase !== undefined && { phase: flags.phase }),
      ...(flags.rehearse !== undefined && { rehearse: flags.rehearse }),
      ...(askOperator && { askOperator }),
      renderer: rendererFor(context, flags.json),
    });
    finishRun(context, result, flags.json);
  });
}
