import type { Command } from 'commander';
import { behindTransactionPooler } from '../../db/poolerDetection.js';
import { Database } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { CheckFailedError } from '../../errors.js';
import { defaultRequestTimeoutMs } from '../../shield/http/defaults.js';
import { KeyVerifier } from '../../shield/keys/keyVerifier.js';
import type { LogLevel } from '../../shield/http/logger.js';
import type { ShieldServer } from '../../shield/http/server.js';
import type { ApiAuth } from '../../shield/http/auth.js';
import { resolveAuth, resolveDevelopmentToken } from '../../shield/http/serverAuth.js';
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
  apiKeys?: boolean;
  keyCacheMs: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  requestTimeoutMs: number;
  poolSize: number;
  /** commander sets it from --no-prepared-statements; true unless that flag is given. */
  preparedStatements: boolean;
  logLevel: LogLevel;
  json?: boolean;
}

const apiKeysPresentSql = sqlFile(import.meta.url, '../../shield/http/sql/api_keys_present.sql');

/** Defaults documented in docs/http-api.md ("Timeouts"). */
const defaultStatementTimeoutMs = 5_000;
const defaultLockTimeoutMs = 2_000;

const logLevels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const serveHelp = `
Endpoints (see docs/http-api.md):
  POST /v1/shield/actions                                   record a comment's actions
  GET  /v1/behaviours/:organizationId/:platform/:userId     read an offender's behaviour
  POST /v1/admin/writer {"writer": "rpc"|"legacy"|"action"} switch writer without a restart (admin)
  GET  /metrics                                             Prometheus text (admin)
  GET  /healthz                                             {status, database, writer} (no token)

Every route but /healthz needs "Authorization: Bearer <key or token>". With --api-keys:
keys made by "shipcheck shield keys create" (migration 026), each acting for one
organization with its scopes; the token variable, if set, is accepted too. Without it:
the single token from --token-env, a development mode acting for every organization
(a warning is logged at start). --writer action (migration 026) records each action in
one round trip and one transaction, and honours Idempotency-Key. A request still running
after --request-timeout-ms, or stopped by --lock-timeout-ms / --statement-timeout-ms,
is answered 503 with Retry-After. SIGTERM or SIGINT: stop accepting, finish requests in
flight, close the pool, exit 0 (a second SIGINT kills at once).

Exit codes:
  0  stopped cleanly after a signal
  1  --writer rpc on a database without migration 024 (--writer action, --api-keys: 026)
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
    .option(
      '--writer <name>',
      `behaviour writer to start with: ${writerNames.join(' or ')}`,
      oneOf('--writer', writerNames),
      'rpc',
    )
    .option('--database-url-env <name>', 'environment variable holding the connection string', 'DATABASE_URL')
    .option('--token-env <name>', 'environment variable holding the API bearer token', 'SHIELD_API_TOKEN')
    .option('--insecure-no-auth', 'serve without a token (allowed on loopback addresses only)')
    .option('--api-keys', 'accept organization-scoped API keys (migration 026); the token variable becomes optional')
    .option(
      '--key-cache-ms <ms>',
      'how long a checked API key is trusted before it is looked up again (revocation delay)',
      nonNegativeInteger('--key-cache-ms', 600_000),
      5_000,
    )
    .option(
      '--statement-timeout-ms <ms>',
      'statement_timeout on the API connections',
      positiveInteger('--statement-timeout-ms', 3_600_000),
      defaultStatementTimeoutMs,
    )
    .option(
      '--lock-timeout-ms <ms>',
      'lock_timeout on the API connections',
      positiveInteger('--lock-timeout-ms', 3_600_000),
      defaultLockTimeoutMs,
    )
    .option(
      '--request-timeout-ms <ms>',
      'answer 503 with Retry-After when a request takes longer',
      positiveInteger('--request-timeout-ms', 3_600_000),
      defaultRequestTimeoutMs,
    )
    .option('--pool-size <n>', 'database connections (1-100)', positiveInteger('--pool-size', 100), 10)
    .option(
      '--log-level <level>',
      `log level on stderr: ${logLevels.join(', ')}`,
      oneOf('--log-level', logLevels),
      'info',
    )
    .option(
      '--no-prepared-statements',
      'send each query unnamed (needed behind a transaction-mode pooler such as PgBouncer); named statements are faster (docs/performance.md)',
    )
    .option('--json', 'print machine-readable lifecycle lines ({"event":"listening","url":…}) on stdout')
    .addHelpText('after', serveHelp)
    .action(async (options: ServeOptions) => {
      const settings = {
        tokenEnv: options.tokenEnv,
        insecureNoAuth: options.insecureNoAuth ?? false,
        host: options.host,
      };
      // Checked before the database opens: a bad flag or token fails fast with exit 2.
      const auth: ApiAuth | { kind: 'keys-pending'; token?: string } = options.apiKeys
        ? { kind: 'keys-pending', ...optionalToken(resolveDevelopmentToken(settings, context.env)) }
        : resolveAuth(settings, context.env);
      const database = await openCommandDatabase(context, { variable: options.databaseUrlEnv });
      try {
        await serve(options, context, auth, database);
      } finally {
        await database.close();
      }
    });
}

/** Serves until a signal has stopped the server and its requests in flight have finished. */
async function serve(
  options: ServeOptions,
  context: CliContext,
  chosenAuth: ApiAuth | { kind: 'keys-pending'; token?: string },
  database: CommandDatabase,
): Promise<void> {
  const connectionString = database.url;
  // Loaded here, not at start: fastify and pino would cost every other command's start-up.
  const { createHttpLogger } = await import('../../shield/http/logger.js');
  const { startShieldServer } = await import('../../shield/http/server.js');
  const logger = createHttpLogger({
    level: options.logLevel,
    destination: { write: (line: string) => context.output.err(line.trimEnd()) },
  });
  const db = Database.connect(connectionString, {
    max: options.poolSize,
    applicationName: 'shipcheck shield serve',
    preparedStatements: options.preparedStatements,
    statementTimeoutMs: options.statementTimeoutMs,
    lockTimeoutMs: options.lockTimeoutMs,
    // Waiting for a free connection is bounded too: a full pool answers 503, it does not queue forever.
    connectionTimeoutMs: options.requestTimeoutMs,
  });
  let server: ShieldServer;
  let auth: ApiAuth;
  try {
    // Named prepared statements break behind a transaction-mode pooler: the probe turns them off there.
    if (options.preparedStatements && (await behindTransactionPooler(db))) {
      context.output.err('named prepared statements off: the database is reached through a transaction-mode pooler');
    }
    auth = chosenAuth.kind === 'keys-pending' ? await keyAuth(db, options.keyCacheMs, chosenAuth.token) : chosenAuth;
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
      requestTimeoutMs: options.requestTimeoutMs,
    });
  } catch (error) {
    await db.close();
    throw error;
  }
  // From here a signal is the server's: it finishes the requests in flight, then the database closes.
  database.handOverSignals();
  const target = database.description;
  if (options.json) {
    context.output.out(
      JSON.stringify({
        event: 'listening',
        url: server.url,
        writer: options.writer,
        auth: auth.kind,
        database: target,
      }),
    );
  } else {
    const authText =
      auth.kind === 'keys'
        ? `API keys${auth.token !== undefined ? ` and the development token from ${options.tokenEnv}` : ''}`
        : auth.kind === 'bearer'
          ? `bearer token from ${options.tokenEnv} (development mode)`
          : 'NONE (loopback only)';
    context.output.out(`Shield API on ${server.url} (writer ${options.writer}, auth ${authText}, database ${target})`);
  }
  await server.closed;
  if (options.json) context.output.out(JSON.stringify({ event: 'stopped' }));
  else context.output.out('Shield API stopped');
}

function optionalToken(token: string | undefined): { token?: string } {
  return token === undefined ? {} : { token };
}

/** API keys need migration 026's table; refusing at start beats answering 500 to every request. */
async function keyAuth(db: Database, ttlMs: number, token: string | undefined): Promise<ApiAuth> {
  const { rows } = await db.query<{ present: boolean }>(apiKeysPresentSql);
  if (!rows[0]?.present) {
    throw new CheckFailedError('--api-keys needs migration 026, which is not applied to this database', {
      code: 'migration_026_missing',
      hint: 'apply it first (shipcheck db migrate --to 026), or serve with the development token',
    });
  }
  return { kind: 'keys', keys: new KeyVerifier(db, { ttlMs }), ...optionalToken(token) };
}
