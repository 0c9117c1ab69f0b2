import type { TestProject } from 'vitest/node';
import { openServer, type PostgresServer } from '../../src/db/server.js';

let server: PostgresServer | undefined;

/** One PostgreSQL for the whole suite: DATABASE_URL when set, otherwise an embedded one. */
export async function setup(project: TestProject): Promise<void> {
  server = await openServer();
  project.provide('adminDatabaseUrl', server.url);
  project.provide('serverKind', server.kind);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    serverKind: 'external' | 'embedded';
  }
}
