import { z } from 'zod';
import { platforms, type Platform } from './platforms.js';
import { severities } from './severity.js';
import { shieldTags, type ShieldTag } from './tags.js';
import type { Severity } from './writers/types.js';

/** Limits that keep one request from flooding the audit table or the job queue. */
export const inputLimits = {
  idLength: 256,
  usernameLength: 256,
  textLength: 10_000,
  tagCount: 32,
  metadataBytes: 8_192,
} as const;

/**
 * Platform ids are numeric (X, Discord), base64url-ish (YouTube) or DIDs and
 * at:// URIs (Bluesky): letters, digits and `_-.:@/`. Anything else — quotes,
 * spaces, semicolons, control characters — is not an id but an attack or a bug.
 */
const platformId = z
  .string()
  .min(1)
  .max(inputLimits.idLength)
  .regex(/^[A-Za-z0-9_\-.:@/]+$/, 'may only contain letters, digits and _-.:@/');

const uuid = z.string().regex(/^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'must be a uuid');

// Control characters in a handle are never legitimate and would corrupt logs and reports.
const noControlCharacters = /^[^\p{Cc}]*$/u;

const commentSchema = z.strictObject({
  id: platformId,
  platform: z.enum(platforms),
  platform_user_id: platformId,
  platform_username: z
    .string()
    .min(1)
    .max(inputLimits.usernameLength)
    .regex(noControlCharacters, 'must not contain control characters')
    .nullish(),
  text: z.string().max(inputLimits.textLength).nullish(),
});

const tagsSchema = z
  .array(z.enum(shieldTags, { error: (issue) => `${JSON.stringify(issue.input)?.slice(0, 60)} is not a known tag` }))
  .max(inputLimits.tagCount);

const metadataSchema = z
  .looseObject({
    toxicity_score: z.number().min(0).max(1).nullish(),
    severity: z.enum(severities).optional(),
  })
  .refine((value) => jsonBytes(value) <= inputLimits.metadataBytes, {
    message: `must serialise to at most ${inputLimits.metadataBytes} bytes`,
  })
  .refine((value) => value.severity !== undefined || typeof value.toxicity_score === 'number', {
    message: 'needs toxicity_score or severity: without either there is no severity to record',
  });

// Built once: zod compiles a schema on its first parse, which cost more than the parse itself when it ran per request.
const actionRequestSchema = z.object({
  organizationId: uuid,
  comment: commentSchema,
  tags: tagsSchema,
  metadata: metadataSchema,
});

export interface ShieldComment {
  readonly id: string;
  readonly platform: Platform;
  readonly platform_user_id: string;
  readonly platform_username?: string | null | undefined;
  readonly text?: string | null | undefined;
}

export interface ActionMetadata {
  readonly toxicity_score?: number | null;
  /** Overrides the severity derived from toxicity_score (e.g. a human moderator's call). */
  readonly severity?: Severity;
  readonly [key: string]: unknown;
}

export interface ActionRequest {
  readonly organizationId: string;
  readonly comment: ShieldComment;
  /** Deduplicated, in the caller's order. */
  readonly tags: readonly ShieldTag[];
  readonly metadata: ActionMetadata;
}

export type ParsedRequest =
  | { readonly ok: true; readonly request: ActionRequest }
  | { readonly ok: false; readonly problems: string[] };

/**
 * Checks everything executeActionsFromTags is given and reports every problem
 * at once ("comment.id: may only contain …"), so a caller fixes them in one go.
 */
export function parseActionRequest(
  organizationId: unknown,
  comment: unknown,
  tags: unknown,
  metadata: unknown,
): ParsedRequest {
  const parsed = actionRequestSchema.safeParse({ organizationId, comment, tags, metadata: metadata ?? {} });
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `${describePath(issue.path)}: ${issue.message}`) };
  }
  const { comment: validComment, tags: validTags, metadata: validMetadata } = parsed.data;
  return {
    ok: true,
    request: {
      organizationId: parsed.data.organizationId.toLowerCase(),
      comment: validComment,
      // A tag twice means the same action twice; the audit keeps one row per action.
      tags: [...new Set(validTags)],
      metadata: validMetadata as ActionMetadata,
    },
  };
}

/** Size of the JSON the metadata becomes in shield_actions; unserialisable (cyclic, bigint) counts as too big. */
function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function describePath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}
