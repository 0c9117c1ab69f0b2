import { resolve } from 'node:path';
import { z } from 'zod';
import { readMigrations } from '../db/migrations/files.js';
import { applyPending, loadMigration, verifyMigration } from '../db/migrations/runner.js';
import { CheckFailedError } from '../errors.js';
import { migrationsDir } from '../paths.js';
import { applyWithLock } from './migrate/applyWithLock.js';
import { inWriteTransaction } from './sql/transactions.js';
import type { StepContext, StepKind, StepOutcome } from './types.js';

const schema = z.strictObject({
  /** Migration id ("024") or full name; pending migrations before it are applied first, in order. */
  migration: z
    .string()
    .regex(/^\d{3}(_[a-z0-9_]+)?$/, 'migration is an id like "024" or a name like "024_atomic_user_behavior_updates"')
    .describe('the migration to apply, by id ("024", quoted so YAML keeps the zeros) or full name; pending migrations before it are applied first, in order'),
  /** Also run the migration's verify script afterwards (in a transaction that is rolled back). */
  verify: z.boolean().default(false).describe("also run the migration's NNN_name.verify.sql afterwards, in a transaction that is rolled back; its failure fails the step"),
  /** Where the NNN_name.sql files are, relative to the checklist; defaults to shipcheck's own db/migrations. */
  directory: z.string().min(1).optional().describe("directory of the migration files, relative to the checklist (default: shipcheck's db/migrations)"),
});

export type MigrateSpec = z.infer<typeof schema>;

/**
 * `migrate`: applies a migration (and any pending one before it) as the project's
 * migration runner does: each in its own transaction under the runner's advisory
 * lock, recorded in shipcheck.migrations with its checksum; the server's command
 * tags and notices for each are kept as evidence. Idempotent in effect: an applied migration is not applied
 * again, the step passes saying so.
 *
 * @example
 * - id: deploy-024
 *   kind: migrate
 *   migration: "024"
 *   verify: true
 */
export const migrateStep: StepKind<MigrateSpec> = {
  kind: 'migrate',
  schema,
  idempotent: true,
  mutates: true,
  rehearsable: true,
  describe(spec) {
    return {
      summary: `apply migration ${spec.migration} (and any pending migration before it)${spec.verify ? ', then run its verify script' : ''}`,
      detail: `migrations from ${spec.directory ?? 'db/migrations'}, each in its own transaction, recorded in shipcheck.migrations`,
    };
  },
  async run(spec, context) {
    const directory = spec.directory ? resolve(context.checklistDir, spec.directory) : migrationsDir;
    const target = await loadMigration(spec.migration, { directory });
    const migrations = await readMigrations(directory);
    context.progress(`applying migrations up to ${target.name}`);
    // Rehearsal: on the rehearsal's connection, inside its transaction (command tags are not recorded there).
    const result = context.rehearsal
      ? { ...(await inWriteTransaction(context, (client) => applyPending(client, migrations, target, { eachInTransaction: false }))), output: {} }
      : await applyWithLock(context.environment.connectionString, migrations, target, context.signal);
    const checksums = Object.fromEntries(
      migrations.filter((m) => result.applied.includes(m.id)).map((m) => [m.id, m.checksum]),
    );
    const observed = {
      target: target.name,
      applied: result.applied,
      already_applied: result.alreadyApplied,
      checksums,
      target_checksum: target.checksum,
      output: result.output,
    };
    const expected = `${target.name} applied`;
    const message =
      result.applied.length === 0
        ? `${target.name} was already applied; nothing to do`
        : `applied ${result.applied.join(', ')}`;
    if (!spec.verify) return { status: 'passed', expected, observed, message };
    return verifyAfter(context, target.id, directory, { expected, observed, message });
  },
};

async function verifyAfter(
  context: StepContext,
  id: string,
  directory: string,
  applied: { expected: string; observed: Record<string, unknown>; message: string },
): Promise<StepOutcome> {
  const migration = await loadMigration(id, { directory });
  const expected = `${applied.expected} and its verify script passes`;
  try {
    await inWriteTransaction(
      context,
      (client) => verifyMigration(client, migration, { ownTransaction: false }),
      () => false,
    );
  } catch (error) {
    if (!(error instanceof CheckFailedError)) throw error;
    return {
      status: 'failed',
      expected,
      observed: { ...applied.observed, verify: { ok: false, message: error.message, detail: error.detail } },
      message: error.message,
    };
  }
  return {
    status: 'passed',
    expected,
    observed: { ...applied.observed, verify: { ok: true } },
    message: `${applied.message}; verify script passed`,
  };
}
