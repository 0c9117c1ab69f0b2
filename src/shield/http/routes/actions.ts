import type { FastifyInstance } from 'fastify';
import type { ShieldResult } from '../../result.js';
import type { RouteContext } from '../context.js';
import type { ActionResult } from '../metrics.js';
import { sendError } from '../replies.js';
import { parseActionBody } from '../requestSchemas.js';

/**
 * POST /v1/shield/actions: 200 with the service result when every action succeeded,
 * 422 with the same result when the service reports a failed action, 400 (nothing
 * written) when the body is malformed.
 */
export function registerActionRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/v1/shield/actions', async (request, reply) => {
    const startedAt = performance.now();
    // Read once: a writer switch mid-request must not mix writers within one action.
    const writer = context.writers.current;
    const elapsed = () => (performance.now() - startedAt) / 1000;

    const parsed = parseActionBody(request.body);
    if (!parsed.ok) {
      context.metrics.observeAction(writer.name, 'invalid', elapsed(), null);
      context.metrics.countError('bad_request');
      return sendError(reply, 400, 'invalid_body', `invalid action request: ${parsed.problems.join('; ')}`, parsed.problems);
    }
    const body = parsed.value;
    let result: ShieldResult;
    try {
      result = await context.execute(
        { db: context.db, writer },
        body.organization_id,
        body.comment,
        body.action_tags,
        body.metadata,
      );
    } catch (error) {
      context.metrics.observeAction(writer.name, 'failed', elapsed(), null);
      throw error;
    }
    const outcome = resultOf(result);
    context.metrics.observeAction(writer.name, outcome, elapsed(), result.roundTrips);
    if (outcome === 'success') return reply.code(200).send(result);
    context.metrics.countError('service_failed');
    request.log.warn(
      { commentId: result.commentId, failed: result.failedActions.map((a) => ({ tag: a.tag, reason: a.reason })) },
      'shield action failed',
    );
    return reply.code(422).send(result);
  });
}

/** `invalid` when the service refused the input itself, `failed` when an action could not be done. */
function resultOf(result: ShieldResult): ActionResult {
  if (result.success) return 'success';
  return result.failedActions.some((action) => action.tag === 'input') ? 'invalid' : 'failed';
}
