import { z } from 'zod';
import { readFolder } from '../db/migrations/files.js';
import type { FolderSpec } from '../db/migrations/formats.js';
import { listFolder } from '../db/migrations/formats.js';
import {
  applyPending,
  EarlierPendingError,
  loadMigration,
  storeFor,
  verifyMigration,
} from '../db/migrations/runner.js';
import { CheckFailedError } from '../errors.js';
import { isStronger, type LockMode, lockModeName, parseLockMode } from '../db/locks.js';
import { parseStatements } from '../db/sqlStatements.js';
import { outsideTransactionReason } from '../db/sqlStatements.js';
import { LockLimitError, LockWaitError } from '../db/migrations/applyScript.js';
import type { MigrateResult } from '../db/migrations/runner.js';
import type { StatementReport } from '../db/migrations/statementLocks.js';
import { applyWithLock } from './migrate/applyWithLock.js';
import { sessionConnectionString } from './sessionTarget.js';
import { checkFolderFields, folderFields, folderOf, migrationIdPattern, sourceOf } from './migrate/folder.js';
import { duration } from './shared/duration.js';
import { inWriteTransaction } from './shared/transactions.js';
import type { StepContext, StepKind, StepOutcome } from './types.js';

const schema = z
  .strictObject({
    migration: z
      .string()
      .regex(
        migrationIdPattern,
        'migration is an id like "024", "20240101120000" or "1.1", or a file name without .sql',
      )
      .describe(
        'the migration to apply, by id ("024", quoted so YAML keeps the zeros; a Supabase timestamp; a Flyway version) or full name; pending migrations before it are applied first, in order, only when allow_earlier says so',
      ),
    ...folderFields,
    allow_earlier: z
      .union([z.boolean(), z.array(z.string().min(1)).min(1)])
      .default(false)
      .describe(
        'whether pending migrations before this one may be applied with it: false (default: the step fails naming them, nothing applied), true, or the ids that may',
      ),
    verify: z
      .boolean()
      .default(false)
      .describe(
        "also run the migration's NNN_name.verify.sql afterwards, in a transaction that is rolled back; its failure fails the step",
      ),
    directory: z
      .string()
      .min(1)
      .optional()
      .describe("directory of the migration files, relative to the checklist (default: shipcheck's db/migrations)"),
    source: z
      .string()
      .regex(/^[A-Za-z0-9_./-]{1,200}$/, 'source is a short name: letters, digits, _ . / -')
      .optional()
      .describe(
        "the history namespace the migrations are recorded under in shipcheck.migrations (default: `directory` as written, or shield for shipcheck's own); two folders with a 001 each never collide",
      ),
    lock_timeout: duration('lock_timeout', { maxMs: 600_000 })
      .default(2_000)
      .describe(
        'how long each statement may wait for a lock before it gives up (default 2s; 0 keeps the server setting), so DDL queued behind a long transaction does not block the app behind it',
      ),
    lock_retries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe(
        'how often a migration that ran out of lock_timeout is tried again, after 1 s, 2 s, 4 s …; each attempt and its blocker are kept as evidence',
      ),
    locks: z
      .strictObject({
        tables: z
          .array(z.string().min(1))
          .min(1)
          .describe('the hot tables the limits apply to, schema.table (no schema: public)'),
        max_lock: z
          .string()
          .refine((mode) => parseLockMode(mode) !== undefined, {
            message: 'max_lock is a table lock mode, e.g. ROW EXCLUSIVE or SHARE UPDATE EXCLUSIVE',
          })
          .optional()
          .describe(
            'the strongest lock any statement may take on them, e.g. SHARE UPDATE EXCLUSIVE (measured in pg_locks after each statement)',
          ),
        forbid_rewrite: z
          .boolean()
          .default(false)
          .describe('no statement may rewrite them (measured: their storage file must not change)'),
      })
      .optional()
      .describe(
        'limits on what the migration does to hot tables, measured statement by statement in its transaction; a breach rolls the migration back and fails the step (and the rehearsal)',
      ),
    lock_retry_delay: duration('lock_retry_delay', { maxMs: 60_000 })
      .default(1_000)
      .describe('the wait before the first retry after a lock_timeout; it doubles each time (default 1s)'),
    repair_invalid_indexes: z
      .boolean()
      .default(false)
      .describe(
        'drop an INVALID index left by an interrupted CREATE INDEX CONCURRENTLY and build it again (default: fail naming it and the repair)',
      ),
  })
  .superRefine((spec, context) => checkFolderFields(spec, 'migration', context));

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
  gateEvidence: 'applies',
  describe(spec) {
    return {
      summary: `apply migration ${spec.migration} (and any pending migration before it)${spec.verify ? ', then run its verify script' : ''}`,
      detail: [
        `${spec.format} migrations from ${spec.directory ?? (spec.format === 'plain' ? 'the checklist directory' : 'db/migrations')}, recorded in ${historyText(spec)}`,
        'each in its own transaction, statement by statement (a file holding CREATE INDEX CONCURRENTLY or the like runs outside one),',
        `lock_timeout ${spec.lock_timeout} ms per statement, ${spec.lock_retries} retr${spec.lock_retries === 1 ? 'y' : 'ies'} after a timeout` +
          (spec.locks
            ? `; limits on ${spec.locks.tables.join(', ')}: ${[spec.locks.max_lock && `at most ${spec.locks.max_lock}`, spec.locks.forbid_rewrite && 'no rewrite'].filter(Boolean).join(', ')}`
            : ''),
      ].join('\n'),
    };
  },
  async preview(spec, { checklistDir }) {
    const folder = folderOf(spec, spec.directory, checklistDir);
    const listing = listFolder(folder);
    const problems = [...listing.duplicates.map((d) => `duplicate ${d}`), ...listing.problems];
    if (listing.duplicates.length > 0) return { ok: false, lines: problems };
    const target = await loadMigration(spec.migration, { folder });
    const upTo = listing.migrations.slice(0, listing.migrations.findIndex((m) => m.id === target.id) + 1);
    const order = [
      upTo.length > 1
        ? `applies, in order: ${upTo.map((m) => m.file).join(', ')}; pending ones among these are applied first (${allowEarlierText(spec.allow_earlier)})`
        : `applies ${target.file ?? target.name}`,
    ];
    const statements = await parseStatements(target.deploySql, `${target.name}.sql`);
    const outside = statements.flatMap((st) => {
      const reason = outsideTransactionReason(st);
      return reason ? [`${reason} (line ${st.line})`] : [];
    });
    return {
      ok: problems.length === 0,
      lines: [
        ...problems,
        ...order,
        ...(outside.length === 0
          ? [
              `${target.name}: ${statements.length} statement(s), all in one transaction (rehearsed in full; locks measured per statement)`,
            ]
          : [
              `${target.name}: runs statement by statement outside a transaction because of ${outside.join(', ')}`,
              'run --rehearse cannot roll those statements back: they are not rehearsed (the others are)',
            ]),
      ],
    };
  },
  async run(spec, context) {
    const folder = folderOf(spec, spec.directory, context.checklistDir);
    const target = await loadMigration(spec.migration, { folder });
    const migrations = await readFolder(folder);
    const source = sourceOf(spec, spec.source, spec.directory);
    const options = {
      source,
      history: storeFor({ folder, source }),
      allowEarlier: spec.allow_earlier,
      lockTimeoutMs: spec.lock_timeout,
      lockRetries: spec.lock_retries,
      retryDelayMs: spec.lock_retry_delay,
      repairInvalidIndexes: spec.repair_invalid_indexes,
      signal: context.signal,
      onProgress: (message: string) => context.progress(message),
      ...(spec.locks && {
        lockLimits: {
          tables: spec.locks.tables,
          forbidRewrite: spec.locks.forbid_rewrite,
          ...(spec.locks.max_lock !== undefined && { maxLock: parseLockMode(spec.locks.max_lock)! }),
        },
      }),
    };
    context.progress(`applying migrations up to ${target.name}`);
    let result: MigrateResult;
    try {
      // Rehearsal: on the rehearsal's connection, inside its transaction (command tags are not recorded there).
      result = context.rehearsal
        ? await inWriteTransaction(context, (client) =>
            applyPending(client, migrations, target, { ...options, eachInTransaction: false }),
          )
        : await applyWithLock(
            await sessionConnectionString(
              context.environment,
              'the migrations lock and a migration that commits statement by statement',
            ),
            migrations,
            target,
            options,
          );
    } catch (error) {
      if (error instanceof EarlierPendingError) {
        return {
          status: 'failed',
          expected: `only ${target.name} pending up to it, or the earlier ones allowed (allow_earlier)`,
          observed: { target: target.name, earlier_pending: error.pending.map((m) => m.name) },
          message: error.message,
        };
      }
      if (error instanceof LockLimitError) {
        return {
          status: 'failed',
          expected: `${target.name} applied within its lock limits`,
          observed: { target: target.name, breaches: error.breaches, statements: error.statements },
          message: error.message,
        };
      }
      if (error instanceof LockWaitError) {
        return {
          status: 'failed',
          expected: `${target.name} applied`,
          observed: { target: target.name, lock_waits: error.lockWaits },
          message: error.message,
        };
      }
      throw error;
    }
    const applied = migrations.filter((m) => result.applied.includes(m.id));
    const reports = Object.entries(result.reports);
    const notRehearsed = reports.flatMap(([id, r]) =>
      r.statements.filter((st) => st.skipped).map((st) => `${id} line ${st.line}`),
    );
    const observed = {
      target: target.name,
      source: options.source,
      history: options.history.table,
      applied: result.applied,
      already_applied: result.alreadyApplied,
      checksums: Object.fromEntries(applied.map((m) => [m.id, m.checksum])),
      target_checksum: target.checksum,
      ...(!context.rehearsal && {
        output: Object.fromEntries(reports.map(([id, r]) => [id, { commands: r.commands, notices: r.notices }])),
      }),
      statements: Object.fromEntries(reports.map(([id, r]) => [id, r.statements])),
      transactional: Object.fromEntries(reports.map(([id, r]) => [id, r.transactional])),
      lock_waits: reports.flatMap(([id, r]) => r.lockWaits.map((w) => ({ migration: id, ...w }))),
      repaired_indexes: reports.flatMap(([, r]) => r.repaired),
    };
    const expected = `${target.name} applied`;
    const strongest = strongestLockText(reports.flatMap(([, r]) => r.statements));
    const message =
      result.applied.length === 0
        ? `${target.name} was already applied; nothing to do`
        : `applied ${result.applied.join(', ')}; ${strongest}${notRehearsed.length > 0 ? `; not rehearsed (cannot run in a transaction): ${notRehearsed.join(', ')}` : ''}`;
    if (!spec.verify) return { status: 'passed', expected, observed, message };
    return verifyAfter(context, target.id, folder, { expected, observed, message });
  },
};

function historyText(spec: MigrateSpec): string {
  if (spec.format === 'supabase') return 'supabase_migrations.schema_migrations, as the Supabase CLI records them';
  if (spec.format === 'flyway') return 'flyway_schema_history, as Flyway records them';
  return `shipcheck.migrations under source "${sourceOf(spec, spec.source, spec.directory)}"`;
}

function allowEarlierText(allow: boolean | readonly string[]): string {
  if (allow === true) return 'allowed by allow_earlier';
  if (allow === false) return 'refused at run time unless allow_earlier allows them';
  return `allow_earlier allows ${allow.join(', ')}; any other is refused at run time`;
}

/** "strongest lock on an existing table: SHARE UPDATE EXCLUSIVE on public.t (line 3)" or "no lock on an existing table". */
function strongestLockText(statements: readonly StatementReport[]): string {
  let best: { mode: LockMode; table: string; line: number } | undefined;
  for (const st of statements) {
    for (const lock of st.locks) {
      const mode = parseLockMode(lock.mode)!;
      if (!best || isStronger(mode, best.mode)) best = { mode, table: lock.table, line: st.line };
    }
  }
  const rewrites = statements.flatMap((st) => st.rewritten.map((t) => `${t} (line ${st.line})`));
  const lock = best
    ? `strongest lock on an existing table: ${lockModeName(best.mode)} on ${best.table} (line ${best.line})`
    : 'no lock on an existing table';
  return rewrites.length > 0 ? `${lock}; rewrote ${rewrites.join(', ')}` : lock;
}

async function verifyAfter(
  context: StepContext,
  id: string,
  folder: FolderSpec,
  applied: { expected: string; observed: Record<string, unknown>; message: string },
): Promise<StepOutcome> {
  const migration = await loadMigration(id, { folder });
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
