import type { Command } from 'commander';
import { Database } from '../../db/database.js';
import { createHttpLogger, type LogLevel } from '../../shield/http/logger.js';
import { type ShieldServer, startShieldServer } from '../../shield/http/server.js';
import type { ApiAuth } from '../../shield/http/auth.js';
import { resolveAuth } from '../../shield/http/serverAuth.js';
import { resolveOrganization, testOrganizationId } from '../../shield/operator/testOrganization.js';
import { type WriterName, writerNames } from '../../shield/writers/index.js';
import { type CommandDatabase, openCommandDatabase } from '../commandDatabase.js';
import type { CliContext } from '../context.js';
import { nonNegativeInteger, oneOf, positiveInteger } from '../options.js';

interface ServeOptions {
  port: number;
  host: string;
  writer: WriterName;
  databaseUrlEnv: string;
  tokenEnv: string;
  insecureNoAuth?: boolean;
  poolSize: number;
  /** commander sets it from --no-prepared-statements; true unless that flag is given. */
  preparedStatements: boolean;
  logLevel: LogLevel;
  json?: boolean;
}

const logLevels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const serveHelp = `
Endpoints (see docs/http-api.md):
  POST /v1/shield/actions                                   record a comment's actions
  GET  /v1/behaviours/:organizationId/:platform/:userId     read an offender's behaviour
  POST /v1/admin/writer {"writer": "rpc"|"legacy"}         switch writer without a restart
  GET  /metrics                                             Prometheus text (token required)
  GET  /healthz                                             {status, database, writer} (no token)

Every route but /healthz needs "Authorization: Bearer <token>", the token read from
the variable named by --token-env. SIGTERM or SIGINT: stop accepting, finish requests
in flight, close the pool, exit 0 (a second SIGINT kills at once).

Exit codes:
  0  stopped cleanly after a signal
  1  --writer rpc on a database without migration 024
  2  bad flags, no token (or too short), --insecure-no-auth off loopback, --database-url-env variable not set
  5  the database could not be reached at startup

Without DATABASE_URL it serves a throw-away embedded PostgreSQL (migrated to the latest
migration, with the test organization ${testOrganizationId}), removed when it stops.

Example:
  export SHIELD_API_TOKEN=$(openssl rand -hex 32)
  shipcheck shield serve --port 8080 --writer rpc`;

/** Adds `shipcheck shield serve` to the `shield` group: the Shield HTTP API in the foreground. */
export function addShieldServeCommand(shield: Command, context: CliContext): void {
  shield
    .command('serve')
    .description('run the Shield HTTP API: record actions, read behaviours, health, Prometheus metrics')
    .option('--port <port>', 'TCP port (0 picks a free one)', nonNegativeInteger('--port', 65_535), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--writer <name>', `behaviour writer to start with: ${writerNames.join(' or ')}`, oneOf('--writer', writerNames), 'rpc')
    .option('--database-url-env <name>', 'environment variable holding the connection string', 'DATABASE_URL')
    .option('--token-env <name>', 'environment variable holding the API bearer token', 'SHIELD_API_TOKEN')
    .option('--insecure-no-auth', 'serve without a token (allowed on loopback addresses only)')
    .option('--pool-size <n>', 'database connections (1-100)', positiveInteger('--pool-size', 100), 10)
    .option('--log-level <level>', `log level on stderr: ${logLevels.join(', ')}`, oneOf('--log-level', logLevels), 'info')
    .option(
      '--no-prepared-statements',
      'send each query unnamed (needed behind a transaction-mode pooler such as PgBouncer); named statements are faster (docs/performance.md)',
    )
    .option('--json', 'print machine-readable lifecycle lines ({"event":"listening","url":…}) on stdout')
    .addHelpText('after', serveHelp)
    .action(async (options: ServeOptions) => {
      const auth = resolveAuth(
        { tokenEnv: options.tokenEnv, insecureNoAuth: options.insecureNoAuth ?? false, host: options.host },
        context.env,
      );
      const database = await openCommandDatabase(context, { variable: options.databaseUrlEnv });
      try {
        await serve(options, context, auth, database);
      } finally {
        await database.close();
      }
    });
}

/** Serves until a signal has stopped the server and its requests in flight have finished. */
async function serve(options: ServeOptions, context: CliContext, auth: ApiAuth, database: CommandDatabase): Promise<void> {
  const connectionString = database.url;
  const logger = createHttpLogger({
    level: options.logLevel,
    destination: { write: (line: string) => context.output.err(line.trimEnd()) },
  });
  const db = Database.connect(connectionString, {
    max: options.poolSize,
    applicationName: 'shipcheck shield serve',
    preparedStatements: options.preparedStatements,
  });
  let server: ShieldServer;
  try {
    // A fresh embedded server has no tenant yet: the test organization is the one to post for.
    if (database.kind === 'embedded') await resolveOrganization(db, { create: true });
    server = await startShieldServer({
      db,
      auth,
      writer: options.writer,
      host: options.host,
      port: options.port,
      logger,
      signals: process,
    });
  } catch (error) {
    await db.close();
    throw error;
  }
  // From here a signal is the server's: it finishes the requests in flight, then the database closes.
  database.handOverSignals();
  const target = database.description;
  if (options.json) {
    context.output.out(JSON.stringify({ event: 'listening', url: server.url, writer: options.writer, auth: auth.kind, database: target }));
  } else {
    const authText = auth.kind === 'bearer' ? `bearer token from ${options.tokenEnv}` : 'NONE (loopback only)';
    context.output.out(`Shield API on ${server.url} (writer ${options.writer}, auth ${authText}, database ${target})`);
  }
  await server.closed;
  if (options.json) context.output.out(JSON.stringify({ event: 'stopped' }));
  else context.output.out('Shield API stopped');
}
