import type { FastifyInstance } from 'fastify';
import { type FailureCode, publicReason, retryableFailures } from '../../failures.js';
import type { ActionOutcome, ShieldResult } from '../../result.js';
import { authorize } from '../auth.js';
import type { RouteContext } from '../context.js';
import { RequestTimeoutError, withinDeadline } from '../deadline.js';
import type { ActionResult } from '../metrics.js';
import { sendError, sendUnavailable } from '../replies.js';
import { parseActionBody, parseIdempotencyKey } from '../requestSchemas.js';

/**
 * POST /v1/shield/actions: 200 with the service result when every action succeeded (also
 * for a replayed request, with `replay: true` and `Idempotent-Replayed: true`), 422 with
 * the result when the service refused a value or an action failed, 400 (nothing written)
 * when the body is malformed, 403 for another organization's key, 409 for an idempotency
 * key reused for another request, 503 with Retry-After when the database is unavailable,
 * locked or slow. Failure reasons a client sees never carry the server's detail: that goes
 * to the log under the request id.
 */
export function registerActionRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/v1/shield/actions', async (request, reply) => {
    const startedAt = performance.now();
    // Read once: a writer switch mid-request must not mix writers within one action.
    const writer = context.writers.current;
    const elapsed = () => (performance.now() - startedAt) / 1000;

    const parsed = parseActionBody(request.body);
    const key = parseIdempotencyKey(request.headers['idempotency-key'], writer.recordsWholeAction === true);
    if (!parsed.ok || !key.ok) {
      const problems = [...(parsed.ok ? [] : parsed.problems), ...(key.ok ? [] : key.problems)];
      context.metrics.observeAction(writer.name, 'invalid', elapsed(), null);
      context.metrics.countError('bad_request');
      return sendError(reply, 400, 'invalid_body', `invalid action request: ${problems.join('; ')}`, problems);
    }
    const body = parsed.value;
    if (!authorize(request, reply, 'actions:write', body.organization_id, context.onForbidden)) return reply;
    let result: ShieldResult;
    try {
      result = await withinDeadline(
        context.execute(
          { db: context.db, writer },
          body.organization_id,
          body.comment,
          body.action_tags,
          body.metadata,
          key.value === undefined ? {} : { idempotencyKey: key.value },
        ),
        context.requestTimeoutMs,
      );
    } catch (error) {
      context.metrics.observeAction(writer.name, 'failed', elapsed(), null);
      if (error instanceof RequestTimeoutError)
        request.log.warn({ commentId: body.comment.id }, 'shield action timed out');
      throw error;
    }
    const outcome = resultOf(result);
    context.metrics.observeAction(writer.name, outcome, elapsed(), result.roundTrips);
    if (outcome === 'success') {
      if (result.replay === true) reply.header('idempotent-replayed', 'true');
      return reply.code(200).send(result);
    }
    // The full reasons (PostgreSQL's wording, hosts) stay here, in the log.
    request.log.warn(
      {
        commentId: result.commentId,
        failed: result.failedActions.map((a) => ({ tag: a.tag, code: a.errorCode, reason: a.reason })),
      },
      'shield action failed',
    );
    const code = firstCode(result);
    if (code !== undefined && retryableFailures.has(code)) {
      context.metrics.countError('unavailable');
      return sendUnavailable(reply, code, publicReason(code, undefined));
    }
    if (code === 'database_error') {
      context.metrics.countError('database');
      return sendError(reply, 500, code, publicReason(code, undefined));
    }
    if (code === 'idempotency_key_reused') {
      context.metrics.countError('conflict');
      return sendError(reply, 409, code, publicReason(code, undefined));
    }
    context.metrics.countError('service_failed');
    return reply.code(422).send({ ...withoutInternals(result), requestId: request.id });
  });
}

/** `invalid` when the service refused the input itself, `failed` when an action could not be done. */
function resultOf(result: ShieldResult): ActionResult {
  if (result.success) return 'success';
  return result.failedActions.some((action) => action.tag === 'input') ? 'invalid' : 'failed';
}

function firstCode(result: ShieldResult): FailureCode | undefined {
  return result.failedActions.find((action) => action.errorCode !== undefined)?.errorCode;
}

function withoutInternals(result: ShieldResult): ShieldResult {
  const clean = (action: ActionOutcome): ActionOutcome => {
    if (action.status !== 'failed') return action;
    const reason =
      action.errorCode === undefined
        ? 'this action failed (the API log has the detail under this request id)'
        : publicReason(action.errorCode, action.reason);
    return { ...action, reason };
  };
  return { ...result, actions: result.actions.map(clean), failedActions: result.failedActions.map(clean) };
}
