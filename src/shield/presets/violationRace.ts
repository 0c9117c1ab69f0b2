import { z } from 'zod';
import { type ConcurrentActionsResult, runConcurrentActions } from '../operator/concurrent.js';
import { platformProblem, userIdProblem } from '../operator/offenderInput.js';
import type { StepContext, StepOutcome } from '../../steps/types.js';

/**
 * Shield's race test as a preset of the `concurrency` step (`preset: shield_violations`):
 * N simultaneous violations on one test offender through a Shield writer, judged by the
 * offender's count. The generic form of the step calls any function and checks any invariant.
 */
export const violationRaceSchema = z.strictObject({
  preset: z
    .literal('shield_violations')
    .describe("Shield's race test: N violations on one offender through a Shield writer"),
  user_id: z
    .string()
    .superRefine((id, ctx) => {
      const problem = userIdProblem(id);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe("the test offender's platform user id that every action hits (at most 256 characters)"),
  actions: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .describe('how many violations are recorded simultaneously on the one offender (1 to 10000)'),
  platform: z
    .string()
    .superRefine((platform, ctx) => {
      const problem = platformProblem(platform);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('the offender\'s platform, a lower-case name like "twitter" (letters, digits, _ or -, at most 64)'),
  org_id: z
    .guid('org_id must be a UUID')
    .optional()
    .describe('the organization (UUID); it must exist. Omitted: the test organization, created when missing'),
  writer: z
    .enum(['rpc', 'legacy'])
    .default('rpc')
    .describe("rpc: migration 024's atomic function; legacy: the pre-024 read-modify-write, to show the race"),
  connections: z
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe('pool size for the burst, 1 to 100 (default min(actions, 20))'),
  reset: z
    .boolean()
    .default(true)
    .describe("delete the offender's row first, so the count afterwards is exactly actions"),
});

export type ViolationRaceSpec = z.infer<typeof violationRaceSchema>;

export function describeViolationRace(spec: ViolationRaceSpec): { summary: string; detail: string } {
  return {
    summary: `fire ${spec.actions} simultaneous ${spec.writer} writes at ${spec.platform}/${spec.user_id} and expect none lost`,
    detail: `shipcheck shield concurrent --user-id ${spec.user_id} --actions ${spec.actions} --platform ${spec.platform} --writer ${spec.writer}${spec.reset ? ' --reset' : ''}${spec.org_id ? ` --org-id ${spec.org_id}` : ''}`,
  };
}

export async function runViolationRace(spec: ViolationRaceSpec, context: StepContext): Promise<StepOutcome> {
  context.progress(`firing ${spec.actions} concurrent actions at ${spec.platform}/${spec.user_id}`);
  const result = await runConcurrentActions(context.environment.connectionString, {
    organizationId: spec.org_id,
    platform: spec.platform,
    platformUserId: spec.user_id,
    actions: spec.actions,
    writer: spec.writer,
    connections: spec.connections,
    reset: spec.reset,
  });
  return judge(spec, result);
}

function judge(spec: ViolationRaceSpec, result: ConcurrentActionsResult): StepOutcome {
  const expected = `all ${spec.actions} actions applied, none lost, none failed`;
  const metrics = {
    latency_ms_p50: result.latencyMs.p50,
    latency_ms_p95: result.latencyMs.p95,
    latency_ms_p99: result.latencyMs.p99,
    latency_ms_mean: result.latencyMs.mean,
    lost: result.lost,
    failed: result.failed,
    db_calls_per_action: result.roundTripsPerAction,
    wall_ms: result.wallMs,
  };
  const observed = {
    writer: result.writer,
    organization_id: result.organizationId,
    requested: result.requested,
    succeeded: result.succeeded,
    failed: result.failed,
    errors: result.errors,
    count_before: result.countBefore,
    count_after: result.countAfter,
    applied: result.applied,
    lost: result.lost,
    latency_ms: result.latencyMs,
    verdict: result.verdict,
  };
  const messages: Record<ConcurrentActionsResult['verdict'], string> = {
    clean: `all ${result.succeeded} actions applied (count ${result.countBefore} → ${result.countAfter}), p95 ${result.latencyMs.p95} ms`,
    lost_updates: `${result.lost} of ${result.succeeded} updates lost (count ${result.countBefore} → ${result.countAfter})`,
    failed_calls: `${result.failed} of ${result.requested} calls failed${result.errors[0] ? `: ${result.errors[0].message}` : ''}`,
    extra_updates: `the count grew by ${result.applied}, more than the ${result.succeeded} calls made: something else wrote to this offender meanwhile`,
  };
  return {
    status: result.verdict === 'clean' ? 'passed' : 'failed',
    expected,
    observed,
    message: messages[result.verdict],
    metrics,
  };
}
