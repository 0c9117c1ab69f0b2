import { z } from 'zod';
import { rollbackBranches } from '../checklist/types.js';
import type { RunEvent } from './events.js';

/**
 * The run log's events as zod schemas, one per event type: every line read is
 * parsed through its type's schema, so a damaged or hand-edited event is refused
 * with its line and field instead of reaching the fold as a TypeError.
 *
 * Adding an event type is one entry here (beside its interface in events.ts and
 * its case in state.ts's applyEvent): the `satisfies` below fails to compile
 * until every RunEvent type has its schema and every schema matches its type.
 */
const at = z.string().min(1);
const text = z.string();

const stepError = z.strictObject({ code: text, message: text, detail: text.optional(), hint: text.optional() });

const evidenceRecord = z.strictObject({
  path: text,
  sha256: text,
  bytes: z.number().int().nonnegative(),
  description: text,
});

const stepOutcome = z.strictObject({
  status: z.enum(['passed', 'failed']),
  expected: text,
  observed: z.unknown(),
  message: text,
  evidence: z.array(evidenceRecord).optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  rollbackBranch: z.enum(['function_related', 'data_corruption']).optional(),
});

const rollbackBranch = z.enum(rollbackBranches);

/** A step_finished must say why: an outcome for passed/failed, an error for error. */
const stepFinished = z
  .strictObject({
    type: z.literal('step_finished'),
    at,
    stepId: text,
    status: z.enum(['passed', 'failed', 'error']),
    outcome: stepOutcome.optional(),
    error: stepError.optional(),
    action: z.enum(['stop', 'rollback', 'warn']).optional(),
    durationMs: z.number().nonnegative(),
  })
  .superRefine((event, context) => {
    if (event.status === 'error' ? event.error === undefined : event.outcome === undefined) {
      const missing = event.status === 'error' ? 'error' : 'outcome';
      context.addIssue({
        code: 'custom',
        path: [missing],
        message: `a ${event.status} step_finished needs its ${missing}`,
      });
    }
  });

export const eventSchemas = {
  run_started: z.strictObject({
    type: z.literal('run_started'),
    at,
    runId: text.min(1),
    checklist: text,
    checklistFile: text,
    checklistHash: text,
    environment: text,
    target: text,
    rehearse: z.boolean(),
    phaseFilter: text.optional(),
    phases: z.array(z.strictObject({ id: text, title: text, environment: text })),
    runPhases: z.array(text),
    metadata: z.record(z.string(), z.string()),
    holder: text,
  }),
  run_resumed: z.strictObject({
    type: z.literal('run_resumed'),
    at,
    holder: text,
    checklistHash: text,
    acceptedChanges: z.array(text).optional(),
  }),
  lease_taken_over: z.strictObject({
    type: z.literal('lease_taken_over'),
    at,
    holder: text,
    previous: z.strictObject({ holder: text, pid: z.number().int(), runId: text, expiresAt: text }),
    reason: text,
  }),
  phase_started: z.strictObject({ type: z.literal('phase_started'), at, phaseId: text }),
  phase_finished: z.strictObject({
    type: z.literal('phase_finished'),
    at,
    phaseId: text,
    status: z.enum(['passed', 'failed']),
  }),
  step_started: z.strictObject({
    type: z.literal('step_started'),
    at,
    stepId: text,
    phaseId: text,
    kind: text,
    title: text,
    hash: text,
    attempt: z.number().int().positive(),
  }),
  step_progress: z.strictObject({ type: z.literal('step_progress'), at, stepId: text, message: text }),
  step_finished: stepFinished,
  step_skipped: z.strictObject({
    type: z.literal('step_skipped'),
    at,
    stepId: text,
    phaseId: text,
    reason: text,
    by: text.optional(),
  }),
  awaiting_approval: z.strictObject({ type: z.literal('awaiting_approval'), at, stepId: text, message: text }),
  approval_recorded: z.strictObject({
    type: z.literal('approval_recorded'),
    at,
    stepId: text,
    by: text,
    decision: z.enum(['approved', 'conditional', 'rejected']),
    note: text.optional(),
    conditions: text.optional(),
    osUser: text,
    runId: text.optional(),
    checklistHash: text.optional(),
    phases: z
      .record(text, z.enum(['not_started', 'in_progress', 'passed', 'passed_with_warnings', 'failed', 'rolled_back']))
      .optional(),
  }),
  conditions_met: z.strictObject({
    type: z.literal('conditions_met'),
    at,
    stepId: text,
    by: text,
    note: text.optional(),
    osUser: text,
  }),
  rollback_started: z.strictObject({
    type: z.literal('rollback_started'),
    at,
    branch: rollbackBranch,
    reason: text,
    triggeredBy: text.optional(),
  }),
  rollback_finished: z.strictObject({
    type: z.literal('rollback_finished'),
    at,
    branch: rollbackBranch,
    status: z.enum(['rolled_back', 'failed', 'monitoring']),
  }),
  run_stopped: z.strictObject({
    type: z.literal('run_stopped'),
    at,
    reason: z.enum(['awaiting_approval', 'interrupted_step', 'interrupted', 'lease_lost', 'lock_held', 'error']),
    message: text,
    stepId: text.optional(),
  }),
  run_finished: z.strictObject({
    type: z.literal('run_finished'),
    at,
    status: z.enum(['passed', 'failed', 'rolled_back', 'rollback_failed', 'rejected']),
    message: text,
  }),
  step_checkpoint: z.strictObject({ type: z.literal('step_checkpoint'), at, stepId: text, data: z.unknown() }),
  leftovers_cleared: z.strictObject({
    type: z.literal('leftovers_cleared'),
    at,
    children: z.array(z.strictObject({ pid: z.number().int(), what: text, killed: z.boolean() })),
    passfiles: z.number().int().nonnegative(),
  }),
  log_repaired: z.strictObject({
    type: z.literal('log_repaired'),
    at,
    offset: z.number().int().nonnegative(),
    bytes: z.number().int().positive(),
    sideFile: text,
  }),
} satisfies { readonly [T in RunEvent['type']]: z.ZodType<Extract<RunEvent, { type: T }>> };

// And the other way: a field added to an event's interface but not to its schema fails here,
// optional ones included (the strict schema would refuse every event that carries one).
type SchemaOutput = { [T in keyof typeof eventSchemas]: z.output<(typeof eventSchemas)[T]> };
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : never;
type Covers<Schema, Event> = Writable<Event> extends Schema ? SameKeys<Schema, Event> : never;
const _everyFieldHasASchema: { [T in RunEvent['type']]: Covers<SchemaOutput[T], Extract<RunEvent, { type: T }>> } = {
  run_started: true,
  run_resumed: true,
  lease_taken_over: true,
  phase_started: true,
  phase_finished: true,
  step_started: true,
  step_progress: true,
  step_finished: true,
  step_skipped: true,
  awaiting_approval: true,
  approval_recorded: true,
  conditions_met: true,
  rollback_started: true,
  rollback_finished: true,
  run_stopped: true,
  run_finished: true,
  step_checkpoint: true,
  leftovers_cleared: true,
  log_repaired: true,
};

export type EventCheck =
  | { readonly ok: true; readonly event: RunEvent }
  | { readonly ok: false; readonly problem: string };

/**
 * Parses one decoded JSON value as a run event.
 *
 * @example
 * parseRunEvent({ type: 'step_finished', at, stepId: 'a', status: 'passed', durationMs: 5 })
 * // { ok: false, problem: 'step_finished: outcome: a passed step_finished needs its outcome' }
 */
export function parseRunEvent(value: unknown): EventCheck {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return { ok: false, problem: 'an event needs a "type"' };
  if (!Object.hasOwn(eventSchemas, type)) return { ok: false, problem: `unknown event type "${type}"` };
  const parsed = eventSchemas[type as RunEvent['type']].safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data as RunEvent };
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  const problem =
    issue.code === 'unrecognized_keys' ? `unknown field "${issue.keys.join('", "')}"` : `${path}${issue.message}`;
  return { ok: false, problem: `${type}: ${problem}` };
}
