import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConnection } from '../../../src/db/connectionString.js';
import { Database } from '../../../src/db/database.js';
import { monitorStep } from '../../../src/steps/monitor.js';
import type { StepContext } from '../../../src/steps/types.js';
import { type RestartableServer, startRestartableServer } from '../../support/restartableServer.js';
import { causeDeadlock } from '../../support/deadlock.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

/**
 * A server crash inside a monitor window: PostgreSQL throws its statistics away, so the
 * deadlock counter restarts from zero. Before, "deadlocks -1 … PASSED" with max_deadlocks: 0.
 */
describe('monitor across a server crash (pg_ctl restart -m immediate)', () => {
  let server: RestartableServer;
  let db: Database;
  let harness: StepHarness;
  const progress: string[] = [];

  // The harness's context (its history, evidence), pointed at the restartable server.
  const context = (): StepContext => ({
    ...harness.context({ step: { id: 'watch', kind: 'monitor', title: 'Watch' } }),
    environment: {
      name: 'staging',
      connectionEnv: 'STAGING_URL',
      connectionString: server.url,
      label: describeConnection(server.url),
      db,
    },
    progress: (message) => progress.push(message),
  });
  const watch = (criteria: Record<string, number>) =>
    monitorStep.run(monitorStep.schema.parse({ duration: '40s', interval: '250ms', criteria }), context());
  const windowStarted = () =>
    expect.poll(() => progress.some((p) => p.startsWith('watching for')), { timeout: 10_000, interval: 50 }).toBe(true);

  beforeAll(async () => {
    server = await startRestartableServer();
    db = Database.connect(server.url, { max: 4 });
    harness = await stepHarness({ migrateTo: 'none' });
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await server?.stop();
    await harness?.close();
  });

  it('counts the crash itself: max_server_restarts (0 unless given) fails the window', async () => {
    progress.length = 0;
    const monitoring = watch({ max_deadlocks: 0 });
    await windowStarted();
    await server.crashRestart();
    const outcome = await monitoring;
    expect(outcome.status, outcome.message).toBe('failed');
    expect(outcome.message).toMatch(
      /^max_server_restarts breached: server restarts 1 > 0 after .* \(server restart found at /,
    );
    expect(outcome.expected).toBe('max_deadlocks 0, max_server_restarts 0');
    const observed = outcome.observed as {
      server_changes: { restart: boolean; statsLost: boolean; description: string }[];
    };
    expect(observed.server_changes).toEqual([expect.objectContaining({ restart: true, statsLost: true })]);
    expect(progress.some((p) => /^the server restarted at .* after a crash or an immediate shutdown/.test(p))).toBe(
      true,
    );
  }, 60_000);

  it('re-bases the counters: 3 deadlocks before the window, a crash, 2 after: deadlocks 2, not -1', async () => {
    for (let i = 0; i < 3; i++) await causeDeadlock(server.url, 150);
    progress.length = 0;
    const monitoring = watch({ max_deadlocks: 0, max_server_restarts: 1 });
    await windowStarted();
    await server.crashRestart();
    await causeDeadlock(server.url, 150);
    await causeDeadlock(server.url, 150);
    const outcome = await monitoring;
    expect(outcome.status, outcome.message).toBe('failed');
    expect(outcome.message).toMatch(/^max_deadlocks breached: deadlocks [12] > 0 after/);
    const observed = outcome.observed as {
      figures: { deadlocks: number; serverRestarts: number };
      samples: { deadlocks: number }[];
    };
    expect(observed.figures.serverRestarts).toBe(1);
    expect(observed.samples.every((s) => s.deadlocks >= 0)).toBe(true);
  }, 60_000);

  // Last: the server stays down.
  it('a server that does not come back before the window ends is an error, not a pass', async () => {
    progress.length = 0;
    const monitoring = monitorStep.run(
      monitorStep.schema.parse({ duration: '3s', interval: '250ms', criteria: { max_deadlocks: 0 } }),
      context(),
    );
    await windowStarted();
    await server.crash();
    await expect(monitoring).rejects.toMatchObject({
      code: 'server_unreachable',
      message: expect.stringMatching(
        /^the server could not be reached for .* samples missed\): the window cannot be judged$/,
      ),
    });
    expect(progress.some((p) => p.startsWith('no sample: the server cannot be reached'))).toBe(true);
  }, 60_000);
});
