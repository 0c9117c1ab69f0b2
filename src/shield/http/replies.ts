import type { FastifyReply } from 'fastify';

/**
 * Every error body has this one shape, so clients and the load generator parse one thing.
 * `request_id` matches the X-Request-Id header and the API log's reqId: the detail a
 * client never sees (hosts, PostgreSQL's wording) is in the log under it.
 */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly request_id: string;
    readonly problems?: readonly string[];
  };
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  problems?: readonly string[],
) {
  const body: ErrorBody = {
    error: { code, message, request_id: String(reply.request.id), ...(problems !== undefined && { problems }) },
  };
  return reply.code(status).send(body);
}

/** 503 with Retry-After: the request may well pass if sent again in a moment. */
export function sendUnavailable(reply: FastifyReply, code: string, message: string, retryAfterSeconds = 1) {
  reply.header('retry-after', String(retryAfterSeconds));
  return sendError(reply, 503, code, message);
}
