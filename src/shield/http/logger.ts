import { type DestinationStream, type Level, type Logger, pino } from 'pino';

export type LogLevel = Level | 'silent';

/**
 * The API's pino logger. The Authorization header is censored wherever a request
 * object ends up in a log line; the token itself is never handed to the logger.
 *
 * @example
 * const log = createHttpLogger({ level: 'info', destination: process.stderr });
 */
export function createHttpLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'shield-api' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'request.headers.authorization', 'authorization'],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination(2),
  );
}

/** A logger that writes nothing: the default in tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
