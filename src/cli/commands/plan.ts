import { resolve } from 'node:path';
import type { Command } from 'commander';
import { planRun, renderPlan } from '../../engine/plan.js';
import { ExitCode } from '../../errors.js';
import { defaultRegistry } from '../../steps/registry.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { loadChecklistFile, type StateDirOption, withStateDir } from './run.js';

/** `shipcheck plan FILE --env ENV`: the dry run. Reads the checklist and the state dir; connects to nothing. */
export function registerPlan(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('plan')
      .description(
        'show every step that run would execute, with its SQL or command, and run the checks that need no database (lint; exit 1 if one fails); changes nothing, connects to no database',
      )
      .argument('<file>', 'checklist YAML file')
      .requiredOption('--env <name>', 'environment (e.g. staging, production)')
      .option('--phase <id>', 'only this phase')
      .option('--json', 'machine-readable output'),
  ).action(async (file: string, flags: StateDirOption & { env: string; phase?: string; json?: boolean }) => {
    const checklist = await loadChecklistFile(file);
    const plan = await planRun({
      checklist,
      environment: flags.env,
      stateDir: resolve(flags.stateDir),
      registry: defaultRegistry,
      ...(flags.phase !== undefined && { phase: flags.phase }),
    });
    if (!plan.ok) context.exitCode = ExitCode.checkFailed;
    if (flags.json) return printJson(context.output, plan);
    for (const line of renderPlan(plan)) context.output.out(line);
  });
}
