import { resolve } from 'node:path';
import { z } from 'zod';
import { loadMigration, migrationStatus, revertMigration } from '../db/migrations/runner.js';
import { withAdvisoryLock } from '../db/advisoryLock.js';
import type { Queryable } from '../db/database.js';
import type { StepKind } from './types.js';

const schema = z.strictObject({
  revert_migration: z
    .string()
    .regex(/^\d{3}$/, 'a migration id such as "024"')
    .describe("the migration whose revert script runs (its history row is removed in the same transaction)"),
  migrations_dir: z
    .string()
    .min(1)
    .optional()
    .describe("directory of the migration files, relative to the checklist (default: shipcheck's db/migrations)"),
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
 *   title: Drop atomic_update_user_behavior
 *   revert_migration: "024"
 */
export const rollbackStep: StepKind<RollbackSpec> = {
  kind: 'rollback',
  schema,
  idempotent: true,
  mutates: true,
  rehearsable: true,
  describe(spec) {
    return {
      summary: `revert migration ${spec.revert_migration} with its revert script (no-op when it is not applied)`,
      detail: `shipcheck db revert ${spec.revert_migration}`,
    };
  },
  async run(spec, context) {
    const directory = spec.migrations_dir === undefined ? {} : { directory: resolve(context.checklistDir, spec.migrations_dir) };
    const migration = await loadMigration(spec.revert_migration, directory);
    const expected = `migration ${migration.name} not applied after the step`;
    const revertOn = async (client: Queryable) => {
      const applied = (await migrationStatus(client)).some((m) => m.id === migration.id);
      if (!applied) return false;
      if (context.rehearsal) {
        await revertMigration(client, migration); // inside the rehearsal's transaction
      } else {
        await client.query('begin');
        try {
          await revertMigration(client, migration);
          await client.query('commit');
        } catch (error) {
          await client.query('rollback').catch(() => {});
          throw error;
        }
      }
      return true;
    };
    const reverted = context.rehearsal
      ? await revertOn(context.rehearsal.client)
      : await withAdvisoryLock(context.environment.db, migrationsLock, revertOn, { wait: true });
    return {
      status: 'passed',
      expected,
      observed: { migration: migration.name, reverted, was_applied: reverted },
      message: reverted ? `reverted ${migration.name}` : `${migration.name} was not applied; nothing to revert`,
    };
  },
};
