import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { DatabaseError, UsageError } from '../../errors.js';
import { migration026Missing } from '../migration026.js';

const insertKeySql = sqlFile(import.meta.url, './sql/insert_key.sql');
const listKeysSql = sqlFile(import.meta.url, './sql/list_keys.sql');
const revokeKeySql = sqlFile(import.meta.url, './sql/revoke_key.sql');

/** What a key may do: record actions, read behaviours, switch the writer and read /metrics. */
export const apiKeyScopes = ['actions:write', 'behaviours:read', 'admin'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/** A key as listed: never its secret, never its hash. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly organizationId: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly label: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** "shk_" + 16 hex (the key id, safe to log) + "." + 43 base64url characters (256 random bits). */
const tokenPattern = /^shk_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Splits a presented token into id and secret; undefined when it is not shaped like a key. */
export function parseApiKey(token: string): { id: string; secret: string } | undefined {
  const match = tokenPattern.exec(token);
  return match === null ? undefined : { id: match[1]!, secret: match[2]! };
}

export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Creates a key for one organization and returns its token: the only time the secret
 * exists outside the caller's hands. The database keeps its SHA-256 (the secret has
 * 256 random bits, so a fast hash is enough: there is nothing to brute-force).
 *
 * @example
 * const { token, key } = await createApiKey(db, { organizationId, scopes: ['actions:write'] });
 */
export async function createApiKey(
  db: Queryable,
  input: { organizationId: string; scopes: readonly string[]; label?: string },
): Promise<{ token: string; key: ApiKeyInfo }> {
  const scopes = checkScopes(input.scopes);
  if (!uuidPattern.test(input.organizationId)) {
    throw new UsageError(`--organization must be a uuid, got "${input.organizationId.slice(0, 60)}"`);
  }
  if (input.label !== undefined && input.label.length > 200)
    throw new UsageError('--label must be at most 200 characters');
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  try {
    const { rows } = await db.query<KeyRow>(insertKeySql, [
      id,
      input.organizationId,
      secretDigest(secret),
      scopes,
      input.label ?? null,
    ]);
    return { token: `shk_${id}.${secret}`, key: toInfo(rows[0]!) };
  } catch (error) {
    if (error instanceof DatabaseError && error.sqlState === '23503') {
      throw new UsageError(`organization ${input.organizationId} does not exist`, { code: 'organization_not_found' });
    }
    throw keysTableHint(error);
  }
}

/** Every key (or one organization's), newest first. */
export async function listApiKeys(db: Queryable, organizationId?: string): Promise<ApiKeyInfo[]> {
  if (organizationId !== undefined && !uuidPattern.test(organizationId))
    throw new UsageError('--organization must be a uuid');
  try {
    const { rows } = await db.query<KeyRow>(listKeysSql, [organizationId ?? null]);
    return rows.map(toInfo);
  } catch (error) {
    throw keysTableHint(error);
  }
}

/** Revokes a key (idempotent); the API stops accepting it within its cache TTL. */
export async function revokeApiKey(db: Queryable, id: string): Promise<ApiKeyInfo> {
  if (!/^[0-9a-f]{16}$/.test(id))
    throw new UsageError(`a key id is 16 hex characters (the part after "shk_"), got "${id.slice(0, 40)}"`);
  try {
    const { rows } = await db.query<KeyRow>(revokeKeySql, [id]);
    if (rows[0] === undefined) throw new UsageError(`no API key with id ${id}`, { code: 'key_not_found' });
    return toInfo(rows[0]);
  } catch (error) {
    throw keysTableHint(error);
  }
}

function checkScopes(scopes: readonly string[]): ApiKeyScope[] {
  if (scopes.length === 0) throw new UsageError(`give at least one --scope: ${apiKeyScopes.join(', ')}`);
  const unknown = scopes.filter((scope) => !(apiKeyScopes as readonly string[]).includes(scope));
  if (unknown.length > 0) throw new UsageError(`unknown scope ${unknown.join(', ')}: use ${apiKeyScopes.join(', ')}`);
  return [...new Set(scopes as ApiKeyScope[])];
}

function keysTableHint(error: unknown): unknown {
  return migration026Missing(error, 'API keys need');
}

interface KeyRow {
  id: string;
  organization_id: string;
  scopes: ApiKeyScope[];
  label: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    organizationId: row.organization_id,
    scopes: row.scopes,
    label: row.label,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
