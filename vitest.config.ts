import { defineConfig } from 'vitest/config';
import { SlowFilesFirst } from './test/support/slowFilesFirst.js';

/** The whole CLI with its own servers, and the demo end to end: the slow tests, in a project of their own. */
const e2e = [
  'test/integration/demo.test.ts',
  'test/integration/demoSignals.test.ts',
  'test/integration/embeddedFallback.test.ts',
];

const timeouts = { testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    // The root's global setup runs once for every project (one server, one set of templates,
    // one CLI build); the projects do not extend the root config, so they do not run it again.
    globalSetup: ['test/support/globalSetup.ts'],
    // Two cores, but most tests wait (on the server, on timers, on child processes): more workers
    // fill those waits. Measured back to back at a load of ~7 (docs/performance.md §6): 145 s with
    // 3 workers, 102 s with 5, 99 s with 8 (more CPU for little).
    maxWorkers: 5,
    sequence: { sequencer: SlowFilesFirst },
    projects: [
      // Pure functions, no state kept between files: one module graph per worker, not one per file.
      // Two workers: every worker imports the graph again, and these files wait on nothing
      // (`vitest run --project unit`: 10.0 s of CPU with five, 7.1 s with two, and sooner).
      // A project with other maxWorkers runs as a group of its own, before the others.
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          isolate: false,
          ...timeouts,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          exclude: e2e,
          // One module graph per worker, not one per file: importing it cost each file ~0.6 s of CPU
          // (the import 67 s → 15 s of a run). No file reads state another left: each builds its own
          // databases, servers and workspaces.
          isolate: false,
          ...timeouts,
          sequence: { groupOrder: 1 },
        },
      },
      // Whole demos, several at once, on a machine that may be busy: a deadline, not a speed check.
      { test: { name: 'e2e', include: e2e, ...timeouts, testTimeout: 240_000, sequence: { groupOrder: 1 } } },
    ],
  },
});
