import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';

/** GET /metrics: Prometheus text exposition of the app's own registry. */
export function registerMetricsRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await context.metrics.registry.metrics();
    return reply.code(200).type(context.metrics.registry.contentType).send(text);
  });
}
