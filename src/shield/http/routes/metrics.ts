import type { FastifyInstance } from 'fastify';
import { authorize } from '../auth.js';
import type { RouteContext } from '../context.js';

/** GET /metrics: Prometheus text exposition of the app's own registry (admin scope). */
export function registerMetricsRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get('/metrics', async (request, reply) => {
    // Traffic of every organization: an operator's view, so the admin scope.
    if (!authorize(request, reply, 'admin', null, context.onForbidden)) return reply;
    const text = await context.metrics.registry.metrics();
    return reply.code(200).type(context.metrics.registry.contentType).send(text);
  });
}
