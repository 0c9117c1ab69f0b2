import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Who may call the API: holders of one bearer token, or anyone (loopback only, see serverOptions.ts). */
export type ApiAuth = { readonly kind: 'bearer'; readonly token: string } | { readonly kind: 'none' };

/** Tokens shorter than this are guessable; the server refuses to start with one. */
export const minimumTokenLength = 16;

const realm = 'Bearer realm="shield"';

/**
 * An onRequest hook that answers 401 unless the request carries `Authorization:
 * Bearer <token>`. Both sides are hashed first so timingSafeEqual compares equal-length
 * buffers and the time taken says nothing about the token's length or prefix.
 */
export function bearerAuthHook(auth: ApiAuth, onRefused: () => void) {
  const expected = auth.kind === 'bearer' ? digest(auth.token) : undefined;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (expected === undefined) return;
    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined) {
      onRefused();
      reply.header('www-authenticate', realm);
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'missing bearer token' } });
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      onRefused();
      reply.header('www-authenticate', `${realm}, error="invalid_token"`);
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'invalid bearer token' } });
    }
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
