import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Queryable } from '../../db/database.js';
import { DatabaseError } from '../../errors.js';
import { executeActionsFromTags } from '../executeActions.js';
import { failureCodeOf, publicReason, retryableFailures } from '../failures.js';
import type { WriterName } from '../writers/index.js';
import { type ApiAuth, bearerAuthHook, principalOf } from './auth.js';
import type { ExecuteActions, RouteContext } from './context.js';
import { silentLogger } from './logger.js';
import { type ShieldMetrics, createShieldMetrics } from './metrics.js';
import { RequestTimeoutError } from './deadline.js';
import { sendError, sendUnavailable } from './replies.js';
import { registerActionRoutes } from './routes/actions.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerBehaviourRoutes } from './routes/behaviours.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { WriterSelection } from './writerSelection.js';
import { defaultRequestTimeoutMs } from './defaults.js';

export interface ShieldAppOptions {
  readonly db: Queryable;
  readonly auth: ApiAuth;
  /** The writer to start with; switchable later through POST /v1/admin/writer. */
  readonly writer: WriterName;
  readonly logger?: Logger;
  readonly metrics?: ShieldMetrics;
  /** The Shield service; the real executeActionsFromTags unless a test or tool swaps it. */
  readonly execute?: ExecuteActions;
  readonly healthTimeoutMs?: number;
  /** An action or read still running after this is answered 503 with Retry-After (default 10 s). */
  readonly requestTimeoutMs?: number;
}

export interface ShieldApp {
  readonly app: FastifyInstance;
  readonly metrics: ShieldMetrics;
  readonly writers: WriterSelection;
  /**
   * From now on every response carries `Connection: close`, so a keep-alive socket whose
   * request was in flight at shutdown closes after its reply instead of idling on.
   */
  startDraining(): void;
}

/** Bodies are one comment and a few tags; anything near this is not a Shield request. */
const bodyLimitBytes = 64 * 1024;

/**
 * The Shield HTTP API as a fastify instance, not yet listening: tests drive it with
 * inject(), startShieldServer() puts it on a port. Every route except /healthz needs
 * the bearer token.
 *
 * @example
 * const { app } = buildShieldApp({ db, auth: { kind: 'bearer', token }, writer: 'rpc' });
 * const response = await app.inject({ method: 'GET', url: '/healthz' });
 */
export function buildShieldApp(options: ShieldAppOptions): ShieldApp {
  const metrics = options.metrics ?? createShieldMetrics();
  const writers = new WriterSelection(options.writer, (name) => metrics.setWriter(name));
  const context: RouteContext = {
    db: options.db,
    writers,
    metrics,
    execute: options.execute ?? executeActionsFromTags,
    healthTimeoutMs: options.healthTimeoutMs ?? 2_000,
    requestTimeoutMs: options.requestTimeoutMs ?? defaultRequestTimeoutMs,
    onForbidden: () => metrics.countError('forbidden'),
  };

  const logger: FastifyBaseLogger = options.logger ?? silentLogger();
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    // Per-request lines go out at debug level (below); info stays readable under load.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
    // Keep-alive sockets with no request in flight are closed at shutdown; busy ones finish first.
    forceCloseConnections: 'idle',
    // Our own ids, never a client's: they key the log lines a client may quote back.
    genReqId: () => randomUUID(),
  });
  let draining = false;
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    if (draining) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    // The key id says who acted (never the secret); null for the development token.
    const key = principalOf(request)?.keyId ?? null;
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime, key },
      'request',
    );
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      metrics.countError('bad_request');
      return sendError(reply, error.statusCode, error.code ?? 'bad_request', error.message);
    }
    // The message may name tables or hosts; the log has it, the client gets a code and a plain sentence.
    if (error instanceof RequestTimeoutError) {
      metrics.countError('timeout');
      request.log.warn({ timeoutMs: error.timeoutMs }, 'request timed out');
      return sendUnavailable(
        reply,
        'request_timeout',
        `the request did not finish within ${error.timeoutMs} ms; retry later`,
      );
    }
    if (error instanceof DatabaseError) {
      const code = failureCodeOf(error);
      if (retryableFailures.has(code)) {
        metrics.countError('unavailable');
        request.log.warn({ err: error }, 'request failed: database unavailable or timed out');
        return sendUnavailable(reply, code, publicReason(code, undefined));
      }
    }
    const kind = error instanceof DatabaseError ? 'database' : 'internal';
    metrics.countError(kind);
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, kind, kind === 'database' ? 'the database failed this request' : 'internal error');
  });
  app.setNotFoundHandler((request, reply) => {
    metrics.countError('not_found');
    return sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
  });

  registerHealthRoutes(app, context);
  app.register(async (protectedScope) => {
    protectedScope.addHook(
      'onRequest',
      bearerAuthHook(options.auth, () => metrics.countError('unauthorized')),
    );
    registerActionRoutes(protectedScope, context);
    registerBehaviourRoutes(protectedScope, context);
    registerAdminRoutes(protectedScope, context);
    registerMetricsRoutes(protectedScope, context);
  });
  return {
    app,
    metrics,
    writers,
    startDraining() {
      draining = true;
    },
  };
}
