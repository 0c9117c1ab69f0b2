import { z } from 'zod';
import { AwaitingApprovalError } from '../errors.js';
import type { StepKind } from './types.js';

const schema = z.strictObject({
  role: z.string().min(1).describe('who signs off, e.g. "Product Owner"'),
  requirements: z
    .array(z.string().min(1))
    .default([])
    .describe('what the approver confirms by approving (shown by plan, status and the report)'),
});

export type ApprovalSpec = z.infer<typeof schema>;

/**
 * `approval`: a named human sign-off (approved / conditional / rejected) recorded
 * with `shipcheck approve` for this run. Without a decision the run stops cleanly
 * (exit 3) and continues on the next `shipcheck run` once one is recorded. A decision
 * given in another run (an earlier, rolled-back or rejected one) is never this run's:
 * it is shown as context, and reusing it means recording it again for this run.
 *
 * @example
 * - id: po-signoff
 *   kind: approval
 *   title: Product owner sign-off
 *   role: Product Owner
 *   requirements: [All staging validation tests passed]
 */
export const approvalStep: StepKind<ApprovalSpec> = {
  kind: 'approval',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: false,
  rejectsRun: true,
  signOff: true,
  describe(spec, step) {
    const list = spec.requirements.map((r) => `  - ${r}`).join('\n');
    return {
      summary: `wait for the ${spec.role}'s decision (shipcheck approve RUN --step ${step.id} --by NAME --decision …)`,
      ...(list && { detail: `The ${spec.role} confirms:\n${list}` }),
    };
  },
  async run(spec, context) {
    const expected = `a recorded decision of the ${spec.role}: approved (or conditional with its conditions met)`;
    const record = context.history.approvalOf(context.step.id);
    const approveHint = `shipcheck approve ${context.runId} --by NAME --decision approved|conditional|rejected`;
    if (!record) {
      const earlier = context.history.earlierApproval(context.step.id);
      throw new AwaitingApprovalError(`waiting for the ${spec.role}'s approval of "${context.step.title}"`, {
        hint: approveHint,
        ...(earlier && {
          detail: `run ${earlier.runId} had a decision for this step (${earlier.decision} by ${earlier.by} at ${earlier.at}); a decision belongs to its run and is not reused`,
        }),
      });
    }
    const observed = { ...record };
    if (record.decision === 'rejected') {
      const reason = record.note ? `: ${record.note}` : '';
      return { status: 'failed', expected, observed, message: `rejected by ${record.by}${reason}` };
    }
    if (record.decision === 'conditional' && !record.conditionsMet) {
      throw new AwaitingApprovalError(
        `the ${spec.role} approved "${context.step.title}" on conditions that are not met yet: ${record.conditions ?? '(none given)'}`,
        { hint: `once they are met: shipcheck approve ${context.runId} --conditions-met --by NAME` },
      );
    }
    const how = record.decision === 'conditional' ? 'approved (conditions met)' : 'approved';
    return { status: 'passed', expected, observed, message: `${how} by ${record.by}` };
  },
};
