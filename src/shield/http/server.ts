import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.js';
import type { WriterName } from '../writers/index.js';
import { buildShieldApp, type ShieldApp, type ShieldAppOptions } from './app.js';
import type { ApiAuth } from './auth.js';
import { silentLogger } from './logger.js';
import { assertWriterUsable } from './writerSelection.js';

/** Where shutdown signals come from: `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface ShieldServerOptions {
  /** Owned by the server from here on: closed after the last request at shutdown. */
  readonly db: Database;
  readonly auth: ApiAuth;
  readonly writer: WriterName;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly logger?: Logger;
  /** Listen for SIGTERM/SIGINT on this source; omit to shut down only through shutdown(). */
  readonly signals?: SignalSource;
  /** How long in-flight requests get before their sockets are cut. */
  readonly shutdownGraceMs?: number;
  readonly execute?: ShieldAppOptions['execute'];
  readonly requestTimeoutMs?: number;
}

export interface ShieldServer extends ShieldApp {
  /** http://host:port, without credentials. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish, closes the pool. Idempotent. */
  shutdown(reason?: string): Promise<void>;
  /** Settles when shutdown (from a signal or a call) has finished. */
  readonly closed: Promise<void>;
}

const shutdownSignals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Puts the Shield API on a port. Refuses to start with the rpc writer on a database
 * without migration 024.
 *
 * @example
 * const server = await startShieldServer({ db, auth, writer: 'rpc', host: '127.0.0.1', port: 8080, signals: process });
 * await server.closed;
 */
export async function startShieldServer(options: ShieldServerOptions): Promise<ShieldServer> {
  const logger = options.logger ?? silentLogger();
  // Fails fast when the database is unreachable, and refuses rpc without migration 024.
  await assertWriterUsable(options.db, options.writer);
  const shieldApp = buildShieldApp({
    db: options.db,
    auth: options.auth,
    writer: options.writer,
    logger,
    ...(options.execute !== undefined && { execute: options.execute }),
    ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }),
  });
  const { app } = shieldApp;
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let resolveClosed!: () => void;
  let rejectClosed!: (error: unknown) => void;
  const closed = new Promise<void>((resolve, reject) => {
    resolveClosed = resolve;
    rejectClosed = reject;
  });
  // Callers that only use shutdown() never await `closed`; its rejection must not go unhandled.
  closed.catch(() => {});
  let shuttingDown: Promise<void> | undefined;
  const onSignal = () => void shutdown('signal').catch(() => {});
  for (const signal of shutdownSignals) options.signals?.once(signal, onSignal);

  function shutdown(reason = 'requested'): Promise<void> {
    shuttingDown ??= (async () => {
      for (const signal of shutdownSignals) options.signals?.off(signal, onSignal);
      logger.info({ reason }, 'shutting down: no new connections, waiting for requests in flight');
      // Past the grace period a stuck request must not keep the process alive forever.
      shieldApp.startDraining();
      const cut = setTimeout(() => app.server.closeAllConnections(), options.shutdownGraceMs ?? 10_000);
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
      }
      await options.db.close();
      logger.info('shut down');
    })().then(resolveClosed, (error: unknown) => {
      rejectClosed(error);
      throw error;
    });
    return shuttingDown;
  }

  if (options.auth.kind === 'bearer' || (options.auth.kind === 'keys' && options.auth.token !== undefined)) {
    logger.warn(
      'development mode: the single API token acts for every organization with every scope; use API keys in production (shipcheck shield keys create, shield serve --api-keys)',
    );
  }
  logger.info(
    { url: `http://${hostForUrl}:${address.port}`, writer: options.writer, auth: options.auth.kind },
    'listening',
  );
  return { ...shieldApp, url: `http://${hostForUrl}:${address.port}`, port: address.port, shutdown, closed };
}
