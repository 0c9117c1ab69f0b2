import { constants } from 'node:fs';
import { chmod, open, stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import { type ListedMigration, listFolder, type MigrationFormat } from '../db/migrations/formats.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { UsageError } from '../errors.js';
import { draftChecklist } from './checklist.js';
import { inspectMigration, type MigrationChanges } from './inspect.js';

export interface InitOptions {
  readonly migrationFile: string;
  /** Guessed from the file name when omitted. */
  readonly format?: MigrationFormat;
  /** The checklist to write; refused when it exists. Default: <migration name>.checklist.yaml beside the current directory. */
  readonly out?: string;
  /**
   * The database to inspect on, already at the state before this migration (earlier migrations
   * applied). Omitted: a throw-away embedded PostgreSQL with the folder's earlier migrations applied.
   */
  readonly databaseUrl?: string;
  /** With databaseUrl: apply the folder's earlier migrations first too (an empty scratch database). */
  readonly applyEarlier?: boolean;
  /** How the throw-away server is started (the CLI's also stops it on a signal); default: embedded PostgreSQL. */
  readonly throwAwayServer?: () => Promise<{ readonly url: string; close(): Promise<void> }>;
}

export interface InitResult {
  readonly out: string;
  readonly migration: ListedMigration;
  readonly format: MigrationFormat;
  readonly changes: MigrationChanges;
  readonly found: readonly string[];
  readonly todo: readonly string[];
}

/** Roles Supabase projects grant to; created (inside the rolled-back transaction) when missing. */
const supabaseRoles = ['anon', 'authenticated', 'service_role'];

/**
 * `shipcheck init`: inspects one migration and writes its checklist (nothing else is written;
 * the inspection is rolled back).
 *
 * @example
 * const { out, todo } = await initChecklist({ migrationFile: 'supabase/migrations/20240101120000_x.sql' });
 */
export async function initChecklist(options: InitOptions): Promise<InitResult> {
  const file = resolve(options.migrationFile);
  const fileStat = await stat(file).catch(() => undefined);
  if (!fileStat?.isFile()) throw new UsageError(`migration file ${options.migrationFile} does not exist`);
  const format = options.format ?? guessFormat(basename(file));
  const directory = dirname(file);
  const listing = listFolder({
    format,
    directory,
    ...(format === 'plain' && { files: [basename(file)] }),
  });
  const index = listing.migrations.findIndex((m) => m.path === file);
  if (index < 0) {
    throw new UsageError(
      `${basename(file)} is not a ${format} migration file name${listing.problems.length > 0 ? ` (${listing.problems.join('; ')})` : ''}; pass --format`,
    );
  }
  if (listing.duplicates.length > 0)
    throw new UsageError(`the migration folder has duplicate versions: ${listing.duplicates.join('; ')}`);
  const migration = listing.migrations[index]!;
  const out = resolve(options.out ?? `${migration.name}.checklist.yaml`);
  if (await stat(out).catch(() => undefined))
    throw new UsageError(`${options.out ?? out} exists; shipcheck init never overwrites a checklist`, {
      code: 'init_out_exists',
    });

  const roles = format === 'supabase' ? supabaseRoles : [];
  const earlier = listing.migrations.slice(0, index);
  let changes: MigrationChanges;
  if (options.databaseUrl !== undefined) {
    changes = await inspectMigration({
      url: options.databaseUrl,
      migration,
      earlier: options.applyEarlier ? earlier : [],
      roles,
    });
  } else {
    const server = await (options.throwAwayServer ?? embeddedServer)();
    try {
      changes = await inspectMigration({ url: server.url, migration, earlier, roles });
    } finally {
      await server.close();
    }
  }

  const outDir = dirname(out);
  const draft = draftChecklist({
    migration,
    format,
    directory: relative(outDir, directory) || '.',
    file: relative(outDir, file),
    changes,
  });
  await writeNew(out, draft.yaml);
  return { out, migration, format, changes, found: draft.found, todo: draft.todo };
}

async function embeddedServer() {
  const server = await startEmbeddedPostgres();
  return { url: server.url, close: () => server.stop() };
}

/** The format a migration's file name says, or a usage error asking for --format. */
export function guessFormat(fileName: string): MigrationFormat {
  if (/^\d{14}_.+\.sql$/.test(fileName)) return 'supabase';
  if (/^V\d+(?:[._]\d+)*__.+\.sql$/.test(fileName)) return 'flyway';
  if (/^\d{3}_[a-z0-9_]+\.sql$/.test(fileName)) return 'shipcheck';
  throw new UsageError(
    `cannot tell the migration format from the name ${fileName}; pass --format supabase|flyway|shipcheck|plain`,
  );
}

/** Created, never replaced (O_EXCL: a file that appeared meanwhile is not overwritten either); 0644, it holds no secret. */
async function writeNew(path: string, text: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new UsageError(`${path} exists; shipcheck init never overwrites a checklist`, { code: 'init_out_exists' });
    throw new UsageError(`cannot write ${path}: ${String(code)}`);
  }
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
  await chmod(path, 0o644);
}
