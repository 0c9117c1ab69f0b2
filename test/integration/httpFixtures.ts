import { Writable } from 'node:stream';
import type { Logger } from 'pino';
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

/** The value of one Prometheus sample line (`name{labels} value`), or undefined when absent. */
export function sampleValue(metricsText: string, seriesWithLabels: string): number | undefined {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${seriesWithLabels} `));
  return line === undefined ? undefined : Number(line.slice(seriesWithLabels.length + 1));
}
