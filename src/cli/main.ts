import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { registerApprove } from './commands/approve.js';
import { registerDemo } from './commands/demo.js';
import { registerGate } from './commands/gate.js';
import { registerInit } from './commands/init.js';
import { registerLint } from './commands/lint.js';
import { registerPlan } from './commands/plan.js';
import { registerReport } from './commands/report.js';
import { registerRestore } from './commands/restore.js';
import { registerResume } from './commands/resume.js';
import { registerRollback } from './commands/rollback.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import { registerDbCommands } from './commands/db.js';
import { registerShieldCommands } from './commands/shield.js';
import type { CliContext, RegisterCommand } from './context.js';
import { type Output, processOutput, reportError } from './output.js';

const commands: RegisterCommand[] = [
  registerDbCommands,
  registerShieldCommands,
  registerLint,
  registerInit,
  registerPlan,
  registerRun,
  registerResume,
  registerStatus,
  registerApprove,
  registerRollback,
  registerReport,
  registerGate,
  registerRestore,
  registerDemo,
];

/**
 * Runs the CLI and returns the exit code instead of exiting, so tests can call it in-process.
 *
 * @example
 * const code = await main(['node', 'shipcheck', 'db', 'status']);
 */
export async function main(
  argv: readonly string[],
  output: Output = processOutput,
  env = process.env,
): Promise<number> {
  const context: CliContext = { output, env, exitCode: ExitCode.ok };
  const program = new Command('shipcheck')
    .description('executable deployment checklists for PostgreSQL migrations')
    .option('--verbose', 'show stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .exitOverride();
  program.configureHelp({ showGlobalOptions: true });
  for (const register of commands) register(program, context);
  for (const command of allCommands(program)) command.exitOverride();

  const verbose = argv.includes('--verbose');
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv]);
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
      if (error.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    return reportError(output, error, { verbose, json });
  }
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}
