import { type Command, InvalidArgumentError } from 'commander';
import { Database } from '../../db/database.js';
import { ExitCode } from '../../errors.js';
import { type ConcurrentActionsResult, runConcurrentActions } from '../../shield/operator/concurrent.js';
import { limits, platformProblem, userIdProblem } from '../../shield/operator/offenderInput.js';
import { testOrganizationId } from '../../shield/operator/testOrganization.js';
import { concurrencyVerdictSentence, countVerdictSentence } from '../../shield/operator/verdicts.js';
import { verifyBehaviourCount } from '../../shield/operator/verifyCount.js';
import { type WriterName, writerNames } from '../../shield/writers/index.js';
import { openCommandDatabase } from '../commandDatabase.js';
import { connectionFromEnv } from '../connection.js';
import type { CliContext } from '../context.js';
import { type Output, printJson } from '../output.js';
import { nonNegativeInteger, oneOf, positiveInteger, uuid } from '../options.js';
import { addShieldKeysCommand } from './shieldKeys.js';
import { addShieldRequestsCommand } from './shieldRequests.js';
import { addShieldLoadCommand } from './shieldLoad.js';
import { addShieldServeCommand } from './shieldServe.js';

interface ConnectionOptions {
  databaseUrlEnv: string;
  json?: boolean;
}

interface OffenderOptions extends ConnectionOptions {
  userId: string;
  platform: string;
  orgId?: string;
}

interface ConcurrentOptions extends OffenderOptions {
  actions: number;
  writer: WriterName;
  connections?: number;
  reset?: boolean;
  cleanup?: boolean;
}

interface VerifyCountOptions extends OffenderOptions {
  expectedCount: number;
}

const concurrentExitCodes = `
Exit codes:
  0  every action succeeded and every one shows in the count (no lost update)
  1  updates were lost, calls failed, or the count grew by more than the calls made
  2  bad flags or arguments, unknown --org-id, --database-url-env variable not set (nothing was written)
  5  the database refused or could not be reached

Without DATABASE_URL it runs on a throw-away embedded PostgreSQL (migrated to the latest
migration, removed at the end): the figures are real, the row goes with the server.

Example (the seed's two steps):
  shipcheck shield concurrent --user-id test_concurrent_staging --actions 5 --platform twitter --reset
  shipcheck shield verify-count --user-id test_concurrent_staging --expected-count 5`;

const verifyCountExitCodes = `
Exit codes:
  0  the count is exactly --expected-count
  1  lost updates (fewer, or no row at all) or extra updates (more)
  2  bad flags or arguments, unknown --org-id, connection variable not set
  5  the database refused or could not be reached`;

/**
 * The `shield` command group, created on first use. `shield concurrent` and
 * `shield verify-count` live here; other modules add their subcommands (serve, load)
 * to the same group through this function, whatever the registration order.
 */
export function shieldCommandGroup(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'shield') ??
    program.command('shield').description('the Shield behaviour store: operator tools')
  );
}

/** `shipcheck shield concurrent|verify-count`: the seed's concurrency test and count check. */
export function registerShieldCommands(program: Command, context: CliContext): void {
  const shield = shieldCommandGroup(program);
  addShieldServeCommand(shield, context);
  addShieldKeysCommand(shield, context);
  addShieldRequestsCommand(shield, context);
  addShieldLoadCommand(shield, context);

  const concurrent = shield
    .command('concurrent')
    .description('fire N simultaneous violations at one offender and check that none was lost')
    .requiredOption('--user-id <id>', userIdHelp, platformUserId)
    .requiredOption(
      '--actions <N>',
      `how many simultaneous actions (1-${limits.maxActions})`,
      positiveInteger('--actions', limits.maxActions),
    )
    .requiredOption('--platform <name>', 'platform of the offender, e.g. twitter', platformName)
    .option(
      '--writer <name>',
      `behaviour writer: ${writerNames.join(' or ')} (legacy shows the pre-024 race)`,
      oneOf('--writer', writerNames),
      'rpc',
    )
    .option(
      '--connections <N>',
      `database connections to spread the actions over (default: min(N, 20), at most ${limits.maxConnections})`,
      positiveInteger('--connections', limits.maxConnections),
    )
    .option('--reset', "delete the offender's row first, so the count afterwards is exactly N")
    .option('--cleanup', "delete the offender's row at the end (not with a verify-count to follow)");
  withOrganizationAndConnection(concurrent, `${organizationHelp}, created when missing)`)
    .addHelpText('after', concurrentExitCodes)
    .action(async (options: ConcurrentOptions) => {
      const database = await openCommandDatabase(context, { variable: options.databaseUrlEnv });
      try {
        const result = await runConcurrentActions(database.url, {
          organizationId: options.orgId,
          platform: options.platform,
          platformUserId: options.userId,
          actions: options.actions,
          writer: options.writer,
          connections: options.connections,
          reset: options.reset ?? false,
          cleanup: options.cleanup ?? false,
        });
        if (options.json) printJson(context.output, result);
        else printConcurrentResult(context.output, result, database.description);
        if (result.verdict !== 'clean') context.exitCode = ExitCode.checkFailed;
      } finally {
        await database.close();
      }
    });

  const verifyCount = shield
    .command('verify-count')
    .description("check that an offender's violation count is exactly what was recorded")
    .requiredOption('--user-id <id>', userIdHelp, platformUserId)
    .requiredOption('--expected-count <N>', 'the count there should be', nonNegativeInteger('--expected-count'))
    .option('--platform <name>', 'platform of the offender', platformName, 'twitter');
  withOrganizationAndConnection(verifyCount, `${organizationHelp})`)
    .addHelpText('after', verifyCountExitCodes)
    .action(async (options: VerifyCountOptions) => {
      const connectionString = connectionFromEnv(options.databaseUrlEnv, context.env);
      const db = Database.connect(connectionString, { max: 1, applicationName: 'shipcheck shield verify-count' });
      try {
        const check = await verifyBehaviourCount(db, {
          organizationId: options.orgId,
          platform: options.platform,
          platformUserId: options.userId,
          expected: options.expectedCount,
        });
        if (options.json) printJson(context.output, check);
        else context.output.out(countVerdictSentence(check));
        if (check.status !== 'exact') context.exitCode = ExitCode.checkFailed;
      } finally {
        await db.close();
      }
    });
}

const userIdHelp = `platform user id of the offender (1-${limits.userIdMaxLength} characters)`;
const organizationHelp = `organization (must exist; default: the test organization ${testOrganizationId}`;

function withOrganizationAndConnection(command: Command, organizationHelp: string): Command {
  return command
    .option('--org-id <uuid>', organizationHelp, uuid('--org-id'))
    .option('--database-url-env <name>', 'environment variable holding the connection string', 'DATABASE_URL')
    .option('--json', 'machine-readable output');
}

function platformUserId(raw: string): string {
  const problem = userIdProblem(raw);
  if (problem !== undefined) throw new InvalidArgumentError(`--user-id: ${problem}`);
  return raw;
}

function platformName(raw: string): string {
  const problem = platformProblem(raw);
  if (problem !== undefined) throw new InvalidArgumentError(`--platform: ${problem}`);
  return raw;
}

function printConcurrentResult(output: Output, r: ConcurrentActionsResult, target: string): void {
  const trips = r.roundTripsPerAction === 1 ? '1 round trip' : `${r.roundTripsPerAction} round trips`;
  output.out(
    `${r.requested} simultaneous actions on ${r.platform}/${r.platformUserId} ` +
      `(organization ${r.organizationId}, writer ${r.writer}, ${r.connections} connections, ${target})`,
  );
  output.out(`  succeeded  ${r.succeeded}`);
  output.out(`  failed     ${r.failed}`);
  output.out(`  total      ${r.requested}`);
  const reset = r.reset ? ', row reset first' : '';
  output.out(`  count      ${r.countBefore} → ${r.countAfter} (applied ${r.applied}, lost ${r.lost})${reset}`);
  const { p50, p95, p99, max } = r.latencyMs;
  output.out(`  latency    p50 ${p50} ms, p95 ${p95} ms, p99 ${p99} ms, max ${max} ms`);
  output.out(`  wall       ${r.wallMs} ms, ${trips} per action`);
  for (const e of r.errors) {
    output.out(`  error      ${e.count}× ${e.sqlState ? `[${e.sqlState}] ` : ''}${e.message}`);
  }
  if (r.cleanedUp) output.out("  cleanup    the offender's row was deleted");
  output.out(concurrencyVerdictSentence(r));
}
