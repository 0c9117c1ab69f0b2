import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkDeployed } from '../../engine/deployGate.js';
import { ExitCode } from '../../errors.js';
import type { CliContext } from '../context.js';
import { oneOf } from '../options.js';
import { printJson } from '../output.js';
import { loadChecklistFile, type StateDirOption, withStateDir } from './run.js';

/** `shipcheck gate FILE --env production --require deployed`: exit 0 only when the migration is live and verified. */
export function registerGate(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('gate')
      .description(
        'exit 0 only if the latest runs on the environment applied and verified the migration (migrate and contract steps passed, ' +
          'and the monitor steps of the phase that applies the migration, with no rollback since and no step of those phases warned); exit 1 with the reason otherwise. For CI required checks',
      )
      .argument('<file>', 'checklist YAML file')
      .requiredOption('--env <name>', 'environment, usually production')
      .requiredOption('--require <what>', 'what must hold: deployed', oneOf('--require', ['deployed'] as const))
      .option(
        '--allow-warnings',
        'accept deploy phases whose steps failed under on_fail: warn (by default a warned step keeps the gate closed)',
      )
      .option(
        '--live',
        "also check in the database right now that the contract step's function exists (needs the connection variable)",
      )
      .option('--json', 'machine-readable output'),
  ).action(
    async (
      file: string,
      flags: StateDirOption & { env: string; live?: boolean; allowWarnings?: boolean; json?: boolean },
    ) => {
      const checklist = await loadChecklistFile(file);
      const result = await checkDeployed({
        checklist,
        environment: flags.env,
        stateDir: resolve(flags.stateDir),
        env: context.env,
        ...(flags.live !== undefined && { live: flags.live }),
        ...(flags.allowWarnings !== undefined && { allowWarnings: flags.allowWarnings }),
      });
      context.exitCode = result.ok ? ExitCode.ok : ExitCode.checkFailed;
      if (flags.json)
        return printJson(context.output, { ...result, checklist: checklist.name, environment: flags.env });
      for (const check of result.checks)
        context.output.out(`${check.met ? '✔' : '✖'} ${check.requirement}: ${check.observed}`);
      const verdict = result.ok
        ? `gate open: ${checklist.name} is deployed on ${flags.env}`
        : `gate closed: ${checklist.name} is not (verifiably) deployed on ${flags.env}`;
      (result.ok ? context.output.out : context.output.err)(verdict);
    },
  );
}
