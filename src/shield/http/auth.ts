import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ApiKeyScope, apiKeyScopes } from '../keys/apiKeys.js';
import type { KeyVerifier, Principal } from '../keys/keyVerifier.js';
import { sendError } from './replies.js';

/**
 * Who may call the API:
 * - `keys`: API keys from shield_api_keys (migration 026), each for one organization and
 *   its scopes; `token`, when given, is also accepted as the development token.
 * - `bearer`: the development mode: one token acts for every organization with every scope.
 * - `none`: anyone (loopback only, see serverAuth.ts).
 */
export type ApiAuth =
  | { readonly kind: 'keys'; readonly keys: KeyVerifier; readonly token?: string }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'none' };

/** Tokens shorter than this are guessable; the server refuses to start with one. */
export const minimumTokenLength = 16;

const realm = 'Bearer realm="shield"';
const everything: ReadonlySet<ApiKeyScope> = new Set(apiKeyScopes);
const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * An onRequest hook that answers 401 unless the request carries `Authorization: Bearer
 * <token or key>`, and remembers who the caller is for authorize(). The development token
 * is compared through SHA-256 digests so timingSafeEqual sees equal lengths and the time
 * taken says nothing about the token's length or prefix.
 */
export function bearerAuthHook(auth: ApiAuth, onRefused: () => void) {
  const expected = auth.kind !== 'none' && auth.token !== undefined ? digest(auth.token) : undefined;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (auth.kind === 'none') {
      principals.set(request, { kind: 'anonymous', keyId: null, organizationId: null, scopes: everything });
      return;
    }
    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined) {
      onRefused();
      reply.header('www-authenticate', realm);
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'missing bearer token' } });
    }
    if (expected !== undefined && timingSafeEqual(digest(presented), expected)) {
      principals.set(request, { kind: 'token', keyId: null, organizationId: null, scopes: everything });
      return;
    }
    const principal = auth.kind === 'keys' ? await auth.keys.verify(presented) : undefined;
    if (principal === undefined) {
      onRefused();
      reply.header('www-authenticate', `${realm}, error="invalid_token"`);
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'invalid bearer token' } });
    }
    principals.set(request, principal);
  };
}

/**
 * True when the caller may use `scope` (for `organizationId`, when the route acts for one);
 * otherwise answers 403 and returns false, before anything is read or written.
 */
export function authorize(
  request: FastifyRequest,
  reply: FastifyReply,
  scope: ApiKeyScope,
  organizationId: string | null,
  onRefused: () => void,
): boolean {
  const principal = principals.get(request);
  if (principal?.scopes.has(scope)) {
    if (
      principal.organizationId === null ||
      organizationId === null ||
      principal.organizationId === organizationId.toLowerCase()
    ) {
      return true;
    }
  }
  onRefused();
  const what = principal?.scopes.has(scope)
    ? `this key acts only for its own organization`
    : `this key lacks the ${scope} scope`;
  void sendError(reply, 403, 'forbidden', `forbidden: ${what}`);
  return false;
}

/** Who the request acts as, for logs (the key id, never a secret). */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
