import { startEmbeddedPostgres } from './embedded.js';

export interface PostgresServer {
  /** Superuser (or admin) connection string. Contains a password: never print it. */
  readonly url: string;
  readonly kind: 'external' | 'embedded';
  stop(): Promise<void>;
}

/**
 * The server the demo and the tests use: `DATABASE_URL` when it is set, otherwise
 * an embedded PostgreSQL started for this process (with `embeddedSettings`, e.g. the test
 * suite's durability off) and stopped by `stop()`.
 */
export async function openServer(
  env: NodeJS.ProcessEnv = process.env,
  embeddedSettings: Record<string, string> = {},
): Promise<PostgresServer> {
  const external = env.DATABASE_URL?.trim();
  if (external) return { url: external, kind: 'external', stop: async () => {} };
  const embedded = await startEmbeddedPostgres({ settings: embeddedSettings });
  return { url: embedded.url, kind: 'embedded', stop: () => embedded.stop() };
}
