import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Database } from '../../src/db/database.js';
import { createHttpLogger } from '../../src/shield/http/logger.js';

/** A 64-character token, as `openssl rand -hex 32` would make. */
export const apiToken = 'f3b2c1d0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2';

export const auth = { authorization: `Bearer ${apiToken}` } as const;

/** A debug-level logger whose every line is kept, to prove what never reaches a log. */
export function capturingLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createHttpLogger({ level: 'debug', destination }), text: () => lines.join('') };
}

/** A valid POST /v1/shield/actions body for one comment by `platformUserId`. */
export function actionBody(
  organizationId: string,
  platformUserId: string,
  commentId: string,
  overrides: Record<string, unknown> = {},
) {
  return {
    organization_id: organizationId,
    comment: {
      id: commentId,
      platform: 'twitter',
      platform_user_id: platformUserId,
      platform_username: 'troll',
      text: 'you are…',
    },
    action_tags: ['hide_comment', 'add_strike_1', 'check_reincidence'],
    metadata: { toxicity_score: 0.9 },
    ...overrides,
  };
}

/** POST /v1/shield/actions on `app` (injected, no socket), with the suite's bearer token unless `headers` replace it. */
export function postAction(app: FastifyInstance, payload: object | string, headers: Record<string, string> = auth) {
  return app.inject({ method: 'POST', url: '/v1/shield/actions', headers, payload });
}

/**
 * A session of the test's own holding ACCESS EXCLUSIVE on public.user_behaviors, so every
 * action waits on it: `held` settles once the lock is taken, `release()` ends its transaction
 * (failing as it failed), `close()` is for `finally`: releases whatever happened, then disconnects.
 */
export function lockUserBehaviors(url: string) {
  const holder = Database.connect(url, { max: 1 });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let lockHeld!: () => void;
  const held = new Promise<void>((resolve) => {
    lockHeld = resolve;
  });
  const holding = holder.transaction(async (tx) => {
    await tx.query('lock table public.user_behaviors in access exclusive mode');
    lockHeld();
    await released;
  });
  return {
    held,
    release: () => {
      release();
      return holding;
    },
    close: async () => {
      release();
      await holding.catch(() => {});
      await holder.close();
    },
  };
}

/** The value of one Prometheus sample line (`name{labels} value`), or undefined when absent. */
export function sampleValue(metricsText: string, seriesWithLabels: string): number | undefined {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${seriesWithLabels} `));
  return line === undefined ? undefined : Number(line.slice(seriesWithLabels.length + 1));
}
