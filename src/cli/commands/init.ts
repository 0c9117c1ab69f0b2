import { relative } from 'node:path';
import type { Command } from 'commander';
import { migrationFormats, type MigrationFormat } from '../../db/migrations/formats.js';
import { UsageError } from '../../errors.js';
import { initChecklist } from '../../init/init.js';
import { startThrowAwayServer } from '../commandDatabase.js';
import { connectionFromEnv } from '../connection.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';

/** `shipcheck init MIGRATION_FILE`: writes the checklist of one migration from what it creates and changes. */
export function registerInit(program: Command, context: CliContext): void {
  program
    .command('init')
    .description(
      'write a checklist for one migration, in five phases, from what it creates and changes (read from the catalogs in a transaction that is rolled back); every TODO(init) it leaves must be replaced before plan accepts the file',
    )
    .argument('<migration-file>', 'the migration SQL file, in its folder')
    .option(
      '--format <format>',
      `how the folder names its migrations: ${migrationFormats.join('|')} (default: from the file name)`,
    )
    .option('--out <file>', 'the checklist to write; never overwritten (default: <migration name>.checklist.yaml)')
    .option(
      '--connection-env <name>',
      'variable holding a database at the state before this migration to inspect on (default: a throw-away embedded PostgreSQL with the earlier migrations applied)',
    )
    .option('--json', 'machine-readable output')
    .action(async (file: string, flags: { format?: string; out?: string; connectionEnv?: string; json?: boolean }) => {
      if (flags.format !== undefined && !(migrationFormats as readonly string[]).includes(flags.format))
        throw new UsageError(`--format must be one of ${migrationFormats.join(', ')}`);
      const databaseUrl =
        flags.connectionEnv === undefined ? undefined : connectionFromEnv(flags.connectionEnv, context.env);
      if (databaseUrl === undefined)
        context.output.err(
          'starting a throw-away embedded PostgreSQL (removed when init ends) to apply the migration on',
        );
      const result = await initChecklist({
        migrationFile: file,
        ...(flags.format !== undefined && { format: flags.format as MigrationFormat }),
        ...(flags.out !== undefined && { out: flags.out }),
        ...(databaseUrl !== undefined && { databaseUrl }),
        throwAwayServer: async () => {
          const { server, close } = await startThrowAwayServer();
          return { url: server.url, close };
        },
      });
      const out = relative(process.cwd(), result.out) || result.out;
      if (flags.json)
        return printJson(context.output, {
          out,
          migration: result.migration.file,
          format: result.format,
          found: result.found,
          todo: result.todo,
        });
      context.output.out(`${result.migration.file} (${result.format}):`);
      for (const line of result.found) context.output.out(`  ${line}`);
      if (result.found.length === 0)
        context.output.out('  no function, table, column, index or policy created or changed');
      context.output.out(`wrote ${out}`);
      if (result.todo.length === 0) {
        context.output.out(`nothing left to fill in: shipcheck plan ${out} --env staging`);
        return;
      }
      context.output.out(`to fill in before shipcheck plan accepts it (each is a TODO(init) in the file):`);
      for (const line of result.todo) context.output.out(`  - ${line}`);
    });
}
