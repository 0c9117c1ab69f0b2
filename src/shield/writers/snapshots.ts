import { z } from 'zod';
import { CheckFailedError } from '../../errors.js';
import type { BehaviourSnapshot, StrikeSnapshot } from './types.js';

// timestamptz arrives as a Date from a column and as an ISO string from jsonb; both become ISO UTC.
const timestamp = z.union([z.date(), z.string()]).transform((value, ctx) => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: `not a timestamp: ${String(value)}` });
    return z.NEVER;
  }
  return date.toISOString();
});
const count = z.number().int().nonnegative();

const behaviourShape = z.object({
  user_id: z.string(),
  organization_id: z.string(),
  total_violations: count,
  severity_counts: z.object({ low: count, medium: count, high: count, critical: count }),
  last_violation_at: timestamp,
});

const strikeShape = z.object({
  user_id: z.string(),
  organization_id: z.string(),
  strikes: count,
  last_strike_at: timestamp,
});

/**
 * Maps `{user_id, organization_id, total_violations, severity_counts, last_violation_at}`
 * (the function's JSON or the legacy writer's RETURNING row) to a snapshot. A shape that
 * does not match means the deployed function is not the one this code was written for.
 */
export function toBehaviourSnapshot(raw: unknown, source: string): BehaviourSnapshot {
  const parsed = parse(behaviourShape, raw, source);
  return Object.freeze({
    userId: parsed.user_id,
    organizationId: parsed.organization_id,
    totalViolations: parsed.total_violations,
    severityCounts: Object.freeze({ ...parsed.severity_counts }),
    lastViolationAt: parsed.last_violation_at,
  });
}

/** Maps `{user_id, organization_id, strikes, last_strike_at}` to a snapshot. */
export function toStrikeSnapshot(raw: unknown, source: string): StrikeSnapshot {
  const parsed = parse(strikeShape, raw, source);
  return Object.freeze({
    userId: parsed.user_id,
    organizationId: parsed.organization_id,
    strikes: parsed.strikes,
    lastStrikeAt: parsed.last_strike_at,
  });
}

function parse<T>(schema: z.ZodType<T>, raw: unknown, source: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new CheckFailedError(`${source} returned an unexpected shape`, {
      code: 'unexpected_result_shape',
      detail: result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    });
  }
  return result.data;
}
