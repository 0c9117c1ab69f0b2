import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../../../db/database.js';
import { sqlFile } from '../../../db/sqlFile.js';
import type { RouteContext } from '../context.js';

const pingSql = sqlFile(import.meta.url, '../sql/ping.sql');

export interface Health {
  readonly status: 'ok' | 'degraded';
  readonly database: 'ok' | 'error';
  readonly writer: string;
}

/** GET /healthz (no auth): 200 when the database answers, 503 "degraded" when it does not. */
export function registerHealthRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get('/healthz', async (request, reply) => {
    const databaseOk = await answersWithin(context.db, context.healthTimeoutMs);
    if (!databaseOk) request.log.warn('health check: the database did not answer');
    const health: Health = {
      status: databaseOk ? 'ok' : 'degraded',
      database: databaseOk ? 'ok' : 'error',
      writer: context.writers.current.name,
    };
    return reply.code(databaseOk ? 200 : 503).send(health);
  });
}

/** True when one trivial query succeeds within `timeoutMs`; a black-holed host must not hang the probe. */
async function answersWithin(db: Queryable, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = db.query(pingSql).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
