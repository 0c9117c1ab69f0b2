import type { Command } from 'commander';
import { Database } from '../../db/database.js';
import { InterruptedError } from '../../errors.js';
import { countLedger, ledgerCutoff, ledgerLimits, purgeLedger } from '../../shield/ledger/requestLedger.js';
import { connectionFromEnv } from '../connection.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { positiveInteger } from '../options.js';

interface PurgeOptions {
  olderThan: number;
  batchSize: number;
  dryRun?: boolean;
  databaseUrlEnv: string;
  json?: boolean;
}

const purgeHelp = `
The action writer (migration 026) keeps one row per request in public.shield_action_requests,
so a repeated or concurrent request is counted once. Nothing deletes them by itself: this
command does, in batches of --batch-size rows, each its own short transaction (rows a running
action holds are skipped, the next run takes them). A repeat of a purged request counts as a
new action: keep the ledger at least as long as your clients may retry. There is no index on
created_at (it would cost every action a write), so each batch scans: run it off-peak.

Exit codes:
  0    done (or, with --dry-run, counted)
  2    bad flags, migration 026 missing, connection variable not set
  5    the database refused or could not be reached
  130  interrupted (Ctrl-C): the batches done so far stay deleted

Example:
  shipcheck shield requests purge --older-than 30 --dry-run
  shipcheck shield requests purge --older-than 30`;

/** Adds `shipcheck shield requests purge`: the idempotency ledger's retention. */
export function addShieldRequestsCommand(shield: Command, context: CliContext): void {
  const requests = shield.command('requests').description("the action writer's idempotency ledger (migration 026)");
  requests
    .command('purge')
    .description('delete ledger rows older than a number of days, in batches')
    .requiredOption(
      '--older-than <days>',
      'delete requests created more than this many days ago',
      positiveInteger('--older-than', ledgerLimits.maxDays),
    )
    .option(
      '--batch-size <n>',
      `rows per transaction (1-${ledgerLimits.maxBatchSize})`,
      positiveInteger('--batch-size', ledgerLimits.maxBatchSize),
      ledgerLimits.defaultBatchSize,
    )
    .option('--dry-run', 'only count what would be deleted')
    .option('--database-url-env <name>', 'environment variable holding the connection string', 'DATABASE_URL')
    .option('--json', 'machine-readable output')
    .addHelpText('after', purgeHelp)
    .action(async (options: PurgeOptions) => {
      const cutoff = ledgerCutoff(options.olderThan);
      // The ledger must outlive the command: no embedded fallback, as for shield keys.
      const db = Database.connect(connectionFromEnv(options.databaseUrlEnv, context.env), {
        max: 1,
        applicationName: 'shipcheck shield requests purge',
      });
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      try {
        if (options.dryRun) {
          const count = await countLedger(db, cutoff);
          if (options.json) return printJson(context.output, { dryRun: true, ...count });
          context.output.out(
            `${count.older} of ${count.total} ledger rows were created before ${count.cutoff} and would be deleted` +
              (count.oldest === null ? ' (the ledger is empty)' : ` (oldest: ${count.oldest})`),
          );
          return;
        }
        const result = await purgeLedger(db, cutoff, {
          batchSize: options.batchSize,
          signal: abort.signal,
          // Progress on stderr, so --json's stdout stays one document.
          onBatch: (deleted) => context.output.err(`deleted ${deleted} ledger rows so far`),
        });
        if (options.json) printJson(context.output, { dryRun: false, interrupted: abort.signal.aborted, ...result });
        else context.output.out(`deleted ${result.deleted} ledger rows created before ${result.cutoff}`);
        if (abort.signal.aborted) throw new InterruptedError('purge interrupted: the batches done so far stay deleted');
      } finally {
        process.off('SIGINT', stop);
        await db.close();
      }
    });
}
