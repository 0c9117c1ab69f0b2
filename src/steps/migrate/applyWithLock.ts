import { withAdvisoryLock } from '../../db/advisoryLock.js';
import type { MigrationFile } from '../../db/migrations/files.js';
import {
  applyPending,
  type MigrateResult,
  migrationLockName,
  type PendingOptions,
} from '../../db/migrations/runner.js';
import { openRecordingConnection } from './recordingConnection.js';

/**
 * Applies the pending migrations up to `target` (each in its own transaction, or statement
 * by statement outside one when it must), under the runner's advisory lock, on one
 * connection that records the command tags and notices the server answers.
 * `options.signal` (the run's Ctrl-C) ends a wait for that lock.
 */
export async function applyWithLock(
  connectionString: string,
  migrations: readonly MigrationFile[],
  target: MigrationFile,
  options: Omit<PendingOptions, 'eachInTransaction' | 'recorder'>,
): Promise<MigrateResult> {
  const connection = await openRecordingConnection(connectionString, 'shipcheck migrate');
  try {
    const apply = () =>
      applyPending(connection, migrations, target, { ...options, eachInTransaction: true, recorder: connection });
    return await withAdvisoryLock(connection, migrationLockName, apply, {
      wait: true,
      ...(options.signal && { signal: options.signal }),
    });
  } finally {
    await connection.close();
  }
}
