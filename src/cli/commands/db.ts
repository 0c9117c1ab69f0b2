import type { Command } from 'commander';
import { Database } from '../../db/database.js';
import { migrate, migrationStatus, revert, verify } from '../../db/migrations/runner.js';
import { connectionFromEnv } from '../connection.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';

interface DbOptions {
  databaseUrlEnv: string;
  json?: boolean;
}

/** `shipcheck db migrate|revert|verify|status`: the project's own migrations on DATABASE_URL. */
export function registerDbCommands(program: Command, context: CliContext): void {
  const db = program.command('db').description("apply, revert and verify Shield's own migrations (db/migrations)");
  const withConnection = (command: Command) =>
    command
      .option('--database-url-env <name>', 'environment variable holding the connection string', 'DATABASE_URL')
      .option('--json', 'machine-readable output');

  withConnection(db.command('migrate'))
    .description('apply pending migrations in order, each in a transaction; re-running applies nothing twice')
    .option('--to <id>', 'stop after this migration (e.g. 024)')
    .action(async (options: DbOptions & { to?: string }) => {
      const result = await withDatabase(context, options, (database) =>
        migrate(database, options.to === undefined ? {} : { to: options.to }),
      );
      if (options.json) return printJson(context.output, result);
      for (const id of result.applied) context.output.out(`applied ${id}`);
      context.output.out(
        result.applied.length === 0
          ? `nothing to apply (${result.alreadyApplied.length} already applied)`
          : `${result.applied.length} applied, ${result.alreadyApplied.length} already applied`,
      );
    });

  withConnection(db.command('revert'))
    .description('run the revert script of the newest applied migration')
    .argument('<id>', 'migration id, e.g. 024')
    .action(async (id: string, options: DbOptions) => {
      await withDatabase(context, options, (database) => revert(database, id));
      if (options.json) return printJson(context.output, { reverted: id });
      context.output.out(`reverted ${id}`);
    });

  withConnection(db.command('verify'))
    .description("run a migration's verify script (in a transaction that is rolled back); exit 1 if it fails")
    .argument('<id>', 'migration id, e.g. 024')
    .action(async (id: string, options: DbOptions) => {
      await withDatabase(context, options, (database) => verify(database, id));
      if (options.json) return printJson(context.output, { verified: id, ok: true });
      context.output.out(`verified ${id}`);
    });

  withConnection(db.command('status'))
    .description('list applied migrations')
    .action(async (options: DbOptions) => {
      const applied = await withDatabase(context, options, (database) => migrationStatus(database));
      if (options.json) return printJson(context.output, applied);
      if (applied.length === 0) context.output.out('no migrations applied');
      for (const m of applied) context.output.out(`${m.id}  ${m.name}  ${m.appliedAt.toISOString()}`);
    });
}

async function withDatabase<T>(context: CliContext, options: DbOptions, work: (db: Database) => Promise<T>): Promise<T> {
  const database = Database.connect(connectionFromEnv(options.databaseUrlEnv, context.env), { max: 2 });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}
