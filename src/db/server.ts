import { startEmbeddedPostgres } from './embedded.js';

export interface PostgresServer {
  /** Superuser (or admin) connection string. Contains a password: never print it. */
  readonly url: string;
  readonly kind: 'external' | 'embedded';
  stop(): Promise<void>;
}

/**
 * The server the demo and the tests use: `DATABASE_URL` when it is set, otherwise
 * an embedded PostgreSQL started for this process (`durable: false` for the test suite's)
 * and stopped by `stop()`.
 */
export async function openServer(
  env: NodeJS.ProcessEnv = process.env,
  embedded: { durable?: boolean } = {},
): Promise<PostgresServer> {
  const external = env.DATABASE_URL?.trim();
  if (external) return { url: external, kind: 'external', stop: async () => {} };
  const server = await startEmbeddedPostgres(embedded);
  return { url: server.url, kind: 'embedded', stop: () => server.stop() };
}
