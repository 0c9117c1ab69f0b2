import { z } from 'zod';
import { type ShieldComment, parseActionRequest } from '../actionInput.js';
import { platformProblem, userIdProblem } from '../operator/offenderInput.js';
import { type WriterName, writerNames } from '../writers/index.js';

/** Parsed input or every problem with it, phrased with the wire's own field names. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: string[] };

export interface ActionBody {
  readonly organization_id: string;
  readonly comment: ShieldComment;
  readonly action_tags: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

// The envelope only: the fields inside are checked by the service's own parser below,
// so the API and executeActionsFromTags can never disagree on what is valid.
const actionEnvelope = z.strictObject({
  // Presence is checked below, so a missing field reads "required", not zod's wording.
  organization_id: z.unknown().optional(),
  comment: z.unknown().optional(),
  action_tags: z.unknown().optional(),
  metadata: z.unknown().optional(),
});

// parseActionRequest names fields after its parameters; the API's clients know the JSON names.
const wireNames: ReadonlyArray<readonly [RegExp, string]> = [
  [/^organizationId\b/, 'organization_id'],
  [/^tags\b/, 'action_tags'],
];

/**
 * Checks a POST /v1/shield/actions body completely before anything is written.
 *
 * @example
 * parseActionBody({ organization_id: orgId, comment: { id: '1', platform: 'twitter', platform_user_id: '42' },
 *   action_tags: ['hide_comment'], metadata: { toxicity_score: 0.9 } });
 */
export function parseActionBody(body: unknown): Parsed<ActionBody> {
  const envelope = actionEnvelope.safeParse(body ?? undefined);
  if (!envelope.success) return { ok: false, problems: describeIssues(envelope.error.issues) };
  const { organization_id, comment, action_tags, metadata } = envelope.data;
  const missing = (['organization_id', 'comment', 'action_tags'] as const).filter(
    (key) => envelope.data[key] === undefined,
  );
  if (missing.length > 0) return { ok: false, problems: missing.map((key) => `${key}: required`) };
  if (!Array.isArray(action_tags)) return { ok: false, problems: ['action_tags: must be an array of tag names'] };

  const parsed = parseActionRequest(organization_id, comment, action_tags, metadata);
  if (!parsed.ok) return { ok: false, problems: parsed.problems.map(toWireName) };
  return {
    ok: true,
    value: {
      organization_id: parsed.request.organizationId,
      comment: parsed.request.comment,
      action_tags: parsed.request.tags,
      metadata: parsed.request.metadata,
    },
  };
}

/**
 * The Idempotency-Key header: 1–255 visible ASCII characters. Only the `action` writer
 * (migration 026) can honour it; with another writer it is refused rather than ignored,
 * so a client never believes a retry is safe when it is not.
 */
export function parseIdempotencyKey(
  header: string | string[] | undefined,
  supported: boolean,
): Parsed<string | undefined> {
  if (header === undefined) return { ok: true, value: undefined };
  if (Array.isArray(header)) return { ok: false, problems: ['Idempotency-Key: give the header once'] };
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) {
    return { ok: false, problems: ['Idempotency-Key: must be 1 to 255 visible ASCII characters'] };
  }
  if (!supported) {
    return {
      ok: false,
      problems: ['Idempotency-Key: needs the action writer (migration 026); this server uses another one'],
    };
  }
  return { ok: true, value: header };
}

export interface BehaviourKey {
  readonly organizationId: string;
  readonly platform: string;
  readonly platformUserId: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Route parameters of GET /v1/behaviours/:organizationId/:platform/:platformUserId. */
export function parseBehaviourKey(params: Record<string, string | undefined>): Parsed<BehaviourKey> {
  const organizationId = params.organizationId ?? '';
  const platform = params.platform ?? '';
  const platformUserId = params.platformUserId ?? '';
  const problems = [
    uuidPattern.test(organizationId)
      ? undefined
      : `organizationId: must be a uuid, got "${organizationId.slice(0, 60)}"`,
    prefixed('platform', platformProblem(platform)),
    prefixed('platformUserId', userIdProblem(platformUserId)),
  ].filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { organizationId: organizationId.toLowerCase(), platform, platformUserId } };
}

const writerBody = z.strictObject({ writer: z.enum(writerNames as [WriterName, ...WriterName[]]) });

/** Body of POST /v1/admin/writer. */
export function parseWriterBody(body: unknown): Parsed<WriterName> {
  const parsed = writerBody.safeParse(body ?? undefined);
  if (!parsed.success) return { ok: false, problems: describeIssues(parsed.error.issues) };
  return { ok: true, value: parsed.data.writer };
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys')
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    if (path === '' && issue.code === 'invalid_type') return 'body must be a JSON object';
    return `${path || '(body)'}: ${issue.message}`;
  });
}

function toWireName(problem: string): string {
  for (const [pattern, name] of wireNames) {
    if (pattern.test(problem)) return problem.replace(pattern, name);
  }
  return problem;
}

function prefixed(field: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${field}: ${problem}`;
}
