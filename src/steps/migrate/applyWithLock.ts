import { withAdvisoryLock } from '../../db/advisoryLock.js';
import type { MigrationFile } from '../../db/migrations/files.js';
import { applyPending, migrationLockName } from '../../db/migrations/runner.js';
import { openRecordingConnection } from './recordingConnection.js';


export interface MigrationOutput {
  /** Command tags of the deploy script, e.g. CREATE FUNCTION, COMMENT, REVOKE, GRANT. */
  readonly commands: string[];
  readonly notices: string[];
}

/**
 * Applies the pending migrations up to `target`, each in its own transaction, under
 * the runner's advisory lock, on one connection that records what the server answers.
 * `signal` (the run's Ctrl-C) ends a wait for that lock.
 */
export async function applyWithLock(
  connectionString: string,
  migrations: readonly MigrationFile[],
  target: MigrationFile,
  signal?: AbortSignal,
): Promise<{ applied: string[]; alreadyApplied: string[]; output: Record<string, MigrationOutput> }> {
  const connection = await openRecordingConnection(connectionString, 'shipcheck migrate');
  const output: Record<string, MigrationOutput> = {};
  try {
    const apply = () =>
      applyPending(connection, migrations, target, {
        eachInTransaction: true,
        beforeEach: () => connection.drain(),
        afterEach: (migration) => {
          const { commands, notices } = connection.drain();
          // applyMigration runs the script, checks its transaction, then inserts the history row: those two are ours.
          output[migration.id] = { commands: commands.slice(0, -2), notices };
        },
      });
    const result = await withAdvisoryLock(connection, migrationLockName, apply, { wait: true, ...(signal && { signal }) });
    return { ...result, output };
  } finally {
    await connection.close();
  }
}
