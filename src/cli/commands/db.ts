import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Database } from '../../db/database.js';
import { baseline } from '../../db/migrations/baseline.js';
import { type MigrationFormat, migrationFormats } from '../../db/migrations/formats.js';
import {
  type MigrationOptions,
  migrate,
  migrationStatus,
  readFrom,
  revert,
  storeFor,
  verify,
} from '../../db/migrations/runner.js';
import { UsageError } from '../../errors.js';
import { connectionFromEnv } from '../connection.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';

interface DbOptions {
  databaseUrlEnv: string;
  json?: boolean;
}

interface FolderOptions {
  format?: string;
  directory?: string;
  source?: string;
}

/** --format/--directory/--source as the runner's options: a team's folder instead of Shield's. */
function folderOptions(options: FolderOptions): MigrationOptions {
  const format = (options.format ?? 'shipcheck') as MigrationFormat;
  if (!migrationFormats.includes(format)) throw new UsageError(`--format is one of ${migrationFormats.join(', ')}`);
  if (format === 'plain')
    throw new UsageError(
      'format plain lists its files in a checklist step; the db commands take a folder (shipcheck, supabase, flyway)',
    );
  const directory = options.directory === undefined ? undefined : resolve(options.directory);
  if (format !== 'shipcheck' && directory === undefined)
    throw new UsageError(`--format ${format} needs --directory (the team's migration folder)`);
  return {
    ...(directory !== undefined && { directory }),
    // Like a step's: a team's folder never shares Shield's namespace unless told to.
    ...((options.source ?? options.directory) !== undefined && { source: options.source ?? options.directory }),
    ...(directory !== undefined && { folder: { format, directory } }),
  };
}

/** `shipcheck db migrate|revert|verify|status`: the project's own migrations on DATABASE_URL. */
export function registerDbCommands(program: Command, context: CliContext): void {
  const db = program.command('db').description("apply, revert and verify Shield's own migrations (db/migrations)");
  const withConnection = (command: Command) =>
    command
      .option('--database-url-env <name>', 'environment variable holding the connection string', 'DATABASE_URL')
      .option('--json', 'machine-readable output');
  const withFolder = (command: Command) =>
    withConnection(command)
      .option(
        '--format <format>',
        `how the folder names its migrations: ${migrationFormats.filter((f) => f !== 'plain').join(', ')}`,
      )
      .option('--directory <dir>', "the migration folder (default: Shield's db/migrations)")
      .option(
        '--source <name>',
        'format shipcheck: the history namespace in shipcheck.migrations (default: --directory as written, else shield)',
      );

  withFolder(db.command('migrate'))
    .description('apply pending migrations in order, each in a transaction; re-running applies nothing twice')
    .option('--to <id>', 'stop after this migration (e.g. 024)')
    .option(
      '--direct-connection-env <name>',
      'environment variable holding a direct (or session-mode) connection to the same database, used instead when --database-url-env goes through a transaction-mode pooler',
    )
    .action(async (options: DbOptions & FolderOptions & { to?: string; directConnectionEnv?: string }) => {
      const folder = folderOptions(options);
      const on =
        options.directConnectionEnv === undefined
          ? options
          : { ...options, databaseUrlEnv: options.directConnectionEnv };
      const result = await withDatabase(context, on, (database) =>
        migrate(database, options.to === undefined ? folder : { ...folder, to: options.to }),
      );
      if (options.json) return printJson(context.output, result);
      for (const id of result.applied) context.output.out(`applied ${id}`);
      context.output.out(
        result.applied.length === 0
          ? `nothing to apply (${result.alreadyApplied.length} already applied)`
          : `${result.applied.length} applied, ${result.alreadyApplied.length} already applied`,
      );
    });

  withFolder(db.command('revert'))
    .description('run the revert script of the newest applied migration')
    .argument('<id>', 'migration id, e.g. 024')
    .action(async (id: string, options: DbOptions & FolderOptions) => {
      const folder = folderOptions(options);
      await withDatabase(context, options, (database) => revert(database, id, folder));
      if (options.json) return printJson(context.output, { reverted: id });
      context.output.out(`reverted ${id}`);
    });

  withFolder(db.command('verify'))
    .description("run a migration's verify script (in a transaction that is rolled back); exit 1 if it fails")
    .argument('<id>', 'migration id, e.g. 024')
    .action(async (id: string, options: DbOptions & FolderOptions) => {
      const folder = folderOptions(options);
      await withDatabase(context, options, (database) => verify(database, id, folder));
      if (options.json) return printJson(context.output, { verified: id, ok: true });
      context.output.out(`verified ${id}`);
    });

  withFolder(db.command('baseline'))
    .description(
      'adopt a database migrated by another tool or by hand: record the migrations up to --to as applied without running them, after checking the objects they create exist',
    )
    .requiredOption(
      '--to <version>',
      'the newest migration already on the database (recorded with every one before it)',
    )
    .action(async (options: DbOptions & FolderOptions & { to: string }) => {
      const folder = folderOptions(options);
      const result = await withDatabase(context, options, (database) =>
        baseline(database, { ...folder, to: options.to }),
      );
      if (options.json) return printJson(context.output, result);
      const present = result.checked.map((o) => `${o.kind} ${o.name}`);
      context.output.out(
        result.recorded.length === 0
          ? `nothing to record (${result.alreadyApplied.length} already in ${result.history})`
          : `recorded as applied in ${result.history}, without running them: ${result.recorded.join(', ')}`,
      );
      if (present.length > 0) context.output.out(`checked present: ${present.join(', ')}`);
      if (result.notChecked.length > 0)
        context.output.out(`could not check (not an object it creates): ${result.notChecked.join('; ')}`);
    });

  withFolder(db.command('status'))
    .description(
      "list applied migrations (with --format/--directory: every migration of the folder, applied or pending, from the tool's history)",
    )
    .action(async (options: DbOptions & FolderOptions) => {
      if (options.format !== undefined && options.format !== 'shipcheck') {
        const folder = folderOptions(options);
        const rows = await withDatabase(context, options, async (database) => {
          const migrations = await readFrom(folder);
          const history = await storeFor(folder).read(database, migrations);
          return migrations.map((m) => ({ id: m.id, name: m.name, applied: history.has(m.id) }));
        });
        if (options.json) return printJson(context.output, rows);
        for (const m of rows) context.output.out(`${m.id}  ${m.name}  ${m.applied ? 'applied' : 'pending'}`);
        return;
      }
      const applied = await withDatabase(context, options, (database) =>
        migrationStatus(database, folderOptions(options).source),
      );
      if (options.json) return printJson(context.output, applied);
      if (applied.length === 0) context.output.out('no migrations applied');
      for (const m of applied) context.output.out(`${m.id}  ${m.name}  ${m.appliedAt.toISOString()}`);
    });
}

async function withDatabase<T>(
  context: CliContext,
  options: DbOptions,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  const database = Database.connect(connectionFromEnv(options.databaseUrlEnv, context.env), { max: 2 });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}
