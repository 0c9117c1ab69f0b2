import { acquireAdvisoryLock } from '../../db/advisoryLock.js';
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
    await acquireAdvisoryLock(connection, migrationLockName, signal ? { signal } : {});
    const result = await applyPending(connection, migrations, target, {
      eachInTransaction: true,
      beforeEach: () => connection.drain(),
      afterEach: (migration) => {
        const { commands, notices } = connection.drain();
        // applyMigration runs the script, then inserts the history row: that last INSERT is ours.
        output[migration.id] = { commands: commands.slice(0, -1), notices };
      },
    });
    return { ...result, output };
  } finally {
    await connection.query('select pg_advisory_unlock(hashtextextended($1, 0))', [migrationLockName]).catch(() => {});
    await connection.close();
  }
}
