import type { FastifyInstance } from 'fastify';
import { sqlFile } from '../../../db/sqlFile.js';
import { authorize } from '../auth.js';
import type { RouteContext } from '../context.js';
import { withinDeadline } from '../deadline.js';
import { sendError } from '../replies.js';
import { parseBehaviourKey } from '../requestSchemas.js';

const readBehaviourSql = sqlFile(import.meta.url, '../sql/read_behaviour.sql');

/** GET /v1/behaviours/:organizationId/:platform/:platformUserId: the user_behaviors row, 404 when absent. */
export function registerBehaviourRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get<{ Params: Record<string, string> }>(
    '/v1/behaviours/:organizationId/:platform/:platformUserId',
    async (request, reply) => {
      const key = parseBehaviourKey(request.params);
      if (!key.ok) {
        context.metrics.countError('bad_request');
        return sendError(reply, 400, 'invalid_key', `invalid behaviour key: ${key.problems.join('; ')}`, key.problems);
      }
      const { organizationId, platform, platformUserId } = key.value;
      if (!authorize(request, reply, 'behaviours:read', organizationId, context.onForbidden)) return reply;
      const { rows } = await withinDeadline(
        context.db.query(readBehaviourSql, [organizationId, platform, platformUserId]),
        context.requestTimeoutMs,
      );
      if (rows[0] === undefined) {
        context.metrics.countError('not_found');
        return sendError(
          reply,
          404,
          'not_found',
          `no behaviour recorded for ${platform} user ${platformUserId} in this organization`,
        );
      }
      return reply.code(200).send(rows[0]);
    },
  );
}
