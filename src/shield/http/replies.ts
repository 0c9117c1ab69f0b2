import type { FastifyReply } from 'fastify';

/** Every error body has this one shape, so clients and the load generator parse one thing. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly problems?: readonly string[] };
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, problems?: readonly string[]) {
  const body: ErrorBody = { error: { code, message, ...(problems !== undefined && { problems }) } };
  return reply.code(status).send(body);
}
