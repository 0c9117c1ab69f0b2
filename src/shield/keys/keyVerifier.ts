import { timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { type ApiKeyScope, parseApiKey, secretDigest } from './apiKeys.js';

const findKeySql = sqlFile(import.meta.url, './sql/find_key.sql');

/** Who a request acts as. organizationId null: every organization (the development token). */
export interface Principal {
  readonly kind: 'key' | 'token' | 'anonymous';
  readonly keyId: string | null;
  readonly organizationId: string | null;
  readonly scopes: ReadonlySet<ApiKeyScope>;
}

interface CachedKey {
  readonly expiresAt: number;
  readonly row: { organizationId: string; digest: Buffer; scopes: ApiKeyScope[]; revoked: boolean } | null;
}

export interface KeyVerifierOptions {
  /** How long a looked-up key (or its absence) is trusted; a revocation takes effect within it. */
  readonly ttlMs?: number;
  /** Bounds memory against a flood of made-up key ids. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/**
 * Checks presented API keys against shield_api_keys, one indexed lookup per key id per
 * TTL (5 s by default): a busy key costs no round trip, a revoked one stops working
 * within the TTL. The secret's SHA-256 is compared in constant time.
 *
 * @example
 * const keys = new KeyVerifier(db);
 * const principal = await keys.verify('shk_0123456789abcdef.…');
 */
export class KeyVerifier {
  readonly #db: Queryable;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, CachedKey>();

  constructor(db: Queryable, options: KeyVerifierOptions = {}) {
    this.#db = db;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** The key's principal, or undefined when the token is not a valid, unrevoked key. */
  async verify(token: string): Promise<Principal | undefined> {
    const parsed = parseApiKey(token);
    if (parsed === undefined) return undefined;
    const row = (await this.#lookup(parsed.id)).row;
    if (row === null || row.revoked) return undefined;
    if (!timingSafeEqual(secretDigest(parsed.secret), row.digest)) return undefined;
    return { kind: 'key', keyId: parsed.id, organizationId: row.organizationId, scopes: new Set(row.scopes) };
  }

  async #lookup(id: string): Promise<CachedKey> {
    const now = this.#now();
    const cached = this.#cache.get(id);
    if (cached !== undefined && cached.expiresAt > now) return cached;
    const { rows } = await this.#db.query<{
      organization_id: string;
      secret_sha256: Buffer;
      scopes: ApiKeyScope[];
      revoked: boolean;
    }>(findKeySql, [id]);
    const found = rows[0];
    const entry: CachedKey = {
      expiresAt: now + this.#ttlMs,
      row:
        found === undefined
          ? null
          : {
              organizationId: found.organization_id,
              digest: found.secret_sha256,
              scopes: found.scopes,
              revoked: found.revoked,
            },
    };
    if (this.#cache.size >= this.#maxEntries) this.#cache.clear();
    this.#cache.set(id, entry);
    return entry;
  }
}
