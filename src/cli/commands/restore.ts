import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { restoreBackup } from '../../backup/restore.js';
import { findRecordedBackup } from '../../backup/recordedBackup.js';
import { describeConnection } from '../../db/connectionString.js';
import { loadRun } from '../../engine/runs.js';
import { UsageError } from '../../errors.js';
import { connectionFromEnv } from '../connection.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { type StateDirOption, withStateDir } from './run.js';

interface RestoreFlags extends StateDirOption {
  step?: string;
  databaseUrlEnv: string;
  yes?: boolean;
  anyTarget?: boolean;
  json?: boolean;
}

/** `shipcheck restore RUN [--step ID] --yes`: puts a run's backup back (truncate + reload, one transaction). */
export function registerRestore(program: Command, context: CliContext): void {
  withStateDir(
    program
      .command('restore')
      .description(
        "restore the tables a run's backup step saved: every row of those tables is replaced by the backup's, in one transaction (checksum checked first)",
      )
      .argument('<run>', 'run id (shipcheck status lists them)')
      .option('--step <id>', 'the backup step to restore (default: the latest backup the run recorded)')
      .option('--database-url-env <name>', 'environment variable holding the connection string', 'DATABASE_URL')
      .option('--yes', 'go ahead: without it the command only says what it would replace')
      .option('--any-target', 'restore into a database other than the one the run was against')
      .option('--json', 'machine-readable output'),
  ).action(async (runId: string, flags: RestoreFlags) => {
    const run = await loadRun(resolve(flags.stateDir), runId);
    const backup = findRecordedBackup(runId, run.events, flags.step);
    const connectionString = connectionFromEnv(flags.databaseUrlEnv, context.env);
    const target = describeConnection(connectionString);
    if (target !== run.state.target && !flags.anyTarget) {
      throw new UsageError(
        `run ${runId} backed up ${run.state.target}, but ${flags.databaseUrlEnv} points to ${target}; refusing to restore`,
        {
          hint: 'point the variable at the database the backup came from, or pass --any-target on purpose',
        },
      );
    }
    const plan = `replace every row of ${backup.tables.join(', ') || 'the backed-up tables'} in ${target} with the backup taken by step ${backup.stepId} at ${backup.at} (${backup.evidence.path}, sha256 ${backup.evidence.sha256.slice(0, 12)}…)`;
    if (!flags.yes) {
      throw new UsageError(`restore would ${plan}; add --yes to go ahead`);
    }
    const result = await restoreBackup(connectionString, join(run.dir, backup.evidence.path), {
      expectedSha256: backup.evidence.sha256,
    });
    if (flags.json)
      return printJson(context.output, { runId, step: backup.stepId, target, file: backup.evidence.path, ...result });
    for (const table of result.tables) {
      context.output.out(`restored ${table.table}: ${table.rows} rows${table.recreated ? ' (table recreated)' : ''}`);
    }
    context.output.out(`restore of run ${runId} (step ${backup.stepId}) into ${target} done`);
  });
}
