import { join } from 'node:path';
import { namesMigration } from '../db/migrations/formats.js';
import { UsageError } from '../errors.js';
import { z } from 'zod';
import { readFrom, revertMigration, storeFor } from '../db/migrations/runner.js';
import { inLockedTransaction } from '../db/lockedTransaction.js';
import type { Queryable } from '../db/database.js';
import { withSavepoint } from '../db/transaction.js';
import { restoreBackup } from '../backup/restore.js';
import { checkFolderFields, folderFields, folderOf, migrationIdPattern, sourceOf } from './migrate/folder.js';
import type { StepContext, StepKind, StepOutcome } from './types.js';

const schema = z
  .strictObject({
    revert_migration: z
      .string()
      .regex(migrationIdPattern, 'a migration id such as "024", "20240101120000" or "1.1"')
      .optional()
      .describe('the migration whose revert script runs (its history row is removed in the same transaction)'),
    restore_backup: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .transform((ids) => (typeof ids === 'string' ? [ids] : ids))
      .optional()
      .describe(
        'the id(s) of backup steps; the file of the first one that ran in this run is restored (checksum checked first)',
      ),
    migrations_dir: z
      .string()
      .min(1)
      .optional()
      .describe("directory of the migration files, relative to the checklist (default: shipcheck's db/migrations)"),
    ...folderFields,
    source: z
      .string()
      .regex(/^[A-Za-z0-9_./-]{1,200}$/, 'source is a short name: letters, digits, _ . / -')
      .optional()
      .describe(
        'format shipcheck/plain: the history namespace in shipcheck.migrations, as the migrate step wrote it (default: migrations_dir as written, or shield)',
      ),
  })
  .superRefine((spec, context) => {
    if (spec.revert_migration !== undefined) checkFolderFields(spec, 'revert_migration', context);
  })
  .refine((s) => (s.revert_migration === undefined) !== (s.restore_backup === undefined), {
    message: 'a rollback step does one thing: give revert_migration or restore_backup',
  });

export type RollbackSpec = z.infer<typeof schema>;

/** Same name as the migration runner's lock, so a revert never interleaves with a migrate. */
const migrationsLock = 'shipcheck.migrations';

/**
 * `rollback`: runs a migration's revert script — the "drop the function" step of
 * the rollback procedure. A migration that is not applied counts as reverted, so
 * re-running after an interruption (or after an emergency manual drop) completes.
 *
 * @example
 * - id: drop-function
 *   kind: rollback
 *   title: Drop the function the migration created
 *   revert_migration: "024"
 */
export const rollbackStep: StepKind<RollbackSpec> = {
  kind: 'rollback',
  schema,
  idempotent: true,
  mutates: true,
  rehearsable: true,
  describe(spec) {
    if (spec.restore_backup !== undefined) {
      return {
        summary: `restore the backup taken by step ${spec.restore_backup.join(' or ')} (sha256 checked first)`,
        detail: 'shipcheck restore RUN',
      };
    }
    return {
      summary: `revert migration ${spec.revert_migration} with its revert script (no-op when it is not applied)`,
      detail: revertCommand(spec),
    };
  },
  async run(spec, context) {
    if (spec.restore_backup !== undefined) {
      // A restore runs on its own COPY connection, outside any transaction: never inside a rehearsal.
      if (context.rehearsal)
        return {
          status: 'passed',
          expected: 'not rehearsed',
          observed: { rehearsed: false },
          message: 'a restore is not rehearsed',
        };
      return restoreFromStep(spec.restore_backup, context);
    }
    const folder = folderOf(spec, spec.migrations_dir, context.checklistDir);
    const migrations = await readFrom({ folder });
    const migration = migrations.find((m) => namesMigration(m, spec.revert_migration!));
    if (migration === undefined)
      throw new UsageError(
        `no migration "${spec.revert_migration}" in ${folder.directory} (known: ${migrations.map((m) => m.id).join(', ') || 'none'})`,
      );
    const history = storeFor({ folder, source: sourceOf(spec, spec.source, spec.migrations_dir) });
    const expected = `migration ${migration.name} not applied after the step`;
    const revertOn = async (client: Queryable) => {
      const applied = (await history.read(client, migrations)).has(migration.id);
      if (!applied) return false;
      await revertMigration(client, migration, history);
      return true;
    };
    // In a rehearsal, under a savepoint of the rehearsal's transaction; otherwise in one transaction under
    // the migrations lock (transaction-scoped behind a transaction-mode pooler).
    const reverted = context.rehearsal
      ? await withSavepoint(context.rehearsal.client, revertOn)
      : await inLockedTransaction(context.environment.db, migrationsLock, revertOn, {
          wait: true,
          signal: context.signal,
        });
    return {
      status: 'passed',
      expected,
      observed: { migration: migration.name, reverted, was_applied: reverted },
      message: reverted ? `reverted ${migration.name}` : `${migration.name} was not applied; nothing to revert`,
    };
  },
};

/** The command that does the same by hand, for that folder (directory as the checklist writes it). */
function revertCommand(spec: RollbackSpec): string {
  const id = spec.revert_migration!;
  if (spec.format === 'plain' || spec.scripts?.[id]?.revert !== undefined) {
    return `the revert script named in the checklist for ${id}; no db command reads it: run this rollback step`;
  }
  const flags = [
    spec.format !== 'shipcheck' && `--format ${spec.format}`,
    spec.migrations_dir !== undefined && `--directory ${spec.migrations_dir}`,
    spec.format === 'shipcheck' &&
      spec.migrations_dir !== undefined &&
      `--source ${spec.source ?? spec.migrations_dir}`,
  ].filter(Boolean);
  return (
    [`shipcheck db revert ${id}`, ...flags].join(' ') +
    (spec.migrations_dir !== undefined ? '   (directory relative to the checklist)' : '')
  );
}

/** The data_corruption branch's "restore the backup": the file the backup step of this run recorded. */
async function restoreFromStep(stepIds: readonly string[], context: StepContext): Promise<StepOutcome> {
  const expected = `the rows of the backup taken by ${stepIds.join(' or ')} are back`;
  const evidence = stepIds.map((id) => context.history.outcomeOf(id)?.evidence?.[0]).find((e) => e !== undefined);
  if (!evidence) {
    return {
      status: 'failed',
      expected,
      observed: { backup: null },
      message: `no backup recorded by ${stepIds.join(' or ')} in this run`,
    };
  }
  const result = await restoreBackup(context.environment.connectionString, join(context.runDir, evidence.path), {
    expectedSha256: evidence.sha256,
  });
  const rows = result.tables.map((t) => `${t.table}: ${t.rows} rows`).join(', ');
  return {
    status: 'passed',
    expected,
    observed: { backup: evidence.path, sha256: evidence.sha256, ...result },
    message: `restored ${rows}`,
  };
}
