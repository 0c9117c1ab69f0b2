import type { FastifyInstance } from 'fastify';
import { CheckFailedError } from '../../../errors.js';
import { authorize } from '../auth.js';
import type { RouteContext } from '../context.js';
import { sendError } from '../replies.js';
import { parseWriterBody } from '../requestSchemas.js';

/**
 * POST /v1/admin/writer {writer: rpc|legacy}: switches the behaviour writer without a
 * restart (the demo's zero-downtime proof). 409 when rpc is asked for before migration 024
 * (or action before 026); 403 for a key without the `admin` scope.
 */
export function registerAdminRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/v1/admin/writer', async (request, reply) => {
    if (!authorize(request, reply, 'admin', null, context.onForbidden)) return reply;
    const parsed = parseWriterBody(request.body);
    if (!parsed.ok) {
      context.metrics.countError('bad_request');
      return sendError(
        reply,
        400,
        'invalid_body',
        `invalid writer switch: ${parsed.problems.join('; ')}`,
        parsed.problems,
      );
    }
    try {
      const { previous, current } = await context.writers.switchTo(context.db, parsed.value);
      request.log.info({ previous, current }, 'behaviour writer switched');
      return reply.code(200).send({ writer: current, previous });
    } catch (error) {
      if (!(error instanceof CheckFailedError)) throw error;
      context.metrics.countError('conflict');
      return sendError(reply, 409, error.code, `${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    }
  });
}
