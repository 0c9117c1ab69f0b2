import { z } from 'zod';
import type { PhaseStatus, StepKind } from './types.js';

const phaseRequirement = z.strictObject({
  environment: z
    .string()
    .min(1)
    .describe(
      'the environment the phase runs in (checked when the file loads: it must be the one the phase is declared on)',
    ),
  phase: z.string().min(1).describe('a phase id of this checklist'),
  status: z
    .enum(['passed', 'passed_with_warnings', 'failed', 'rolled_back', 'in_progress', 'not_started'])
    .default('passed')
    .describe(
      'the status the phase must have in its latest run; passed is not met by passed_with_warnings (steps failed under on_fail: warn) unless allow_warnings',
    ),
  allow_warnings: z
    .boolean()
    .default(false)
    .describe(
      'with status passed: also accept a phase that passed with warnings (steps that failed under on_fail: warn)',
    ),
});

const approvalRequirement = z.strictObject({
  approval: z.string().min(1).describe('the id of an approval step of this checklist'),
  decision: z
    .enum(['approved', 'conditional', 'rejected'])
    .default('approved')
    .describe(
      'approved is also met by a conditional approval whose conditions are met. The decision is read from the run that holds the evidence: ' +
        "the latest run on the approval's environment of the phases this gate requires there (or of the approval's phase); a decision of an older, " +
        'rolled-back or since-edited checklist run never counts',
    ),
});

const schema = z.strictObject({
  requires: z
    .array(z.union([phaseRequirement, approvalRequirement]))
    .min(1, 'a gate needs at least one requirement')
    .describe('every requirement must hold, or the gate fails'),
});

export type GateSpec = z.infer<typeof schema>;
type Requirement = GateSpec['requires'][number];

/**
 * `gate`: refuses to let a phase go on unless other phases (usually on another
 * environment) passed and approvals are recorded, as the latest runs of the same
 * checklist in the state directory say. A phase that passed with warnings does not
 * meet `status: passed` unless the requirement says `allow_warnings: true`.
 *
 * @example
 * - id: production-gate
 *   kind: gate
 *   title: Staging passed and the product owner approved
 *   requires:
 *     - { environment: staging, phase: staging-deploy, status: passed }
 *     - { approval: po-signoff, decision: approved }
 */
export const gateStep: StepKind<GateSpec> = {
  kind: 'gate',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: false,
  describe(spec) {
    return { summary: `require ${spec.requires.map(describeRequirement).join(' and ')}` };
  },
  async run(spec, context) {
    const expected = spec.requires.map(describeRequirement).join('; ');
    const requiredPhases = spec.requires.flatMap((r) => ('phase' in r ? [r.phase] : []));
    const checks = spec.requires.map((requirement) => {
      if ('phase' in requirement) {
        const actual: PhaseStatus = context.history.phaseStatus(requirement.phase);
        const met =
          actual === requirement.status ||
          (requirement.status === 'passed' && requirement.allow_warnings && actual === 'passed_with_warnings');
        return { requirement: describeRequirement(requirement), actual, met };
      }
      const { record, runId, problem } = context.history.gateApproval(requirement.approval, requiredPhases);
      const decision = record
        ? `${record.decision}${record.decision === 'conditional' ? (record.conditionsMet ? ' (conditions met)' : ' (conditions pending)') : ''} by ${record.by}${runId ? ` in run ${runId}` : ''}`
        : 'no decision';
      const actual = problem ? `${record ? `${decision}, but ` : ''}${problem}` : decision;
      const met =
        record !== undefined &&
        problem === undefined &&
        (record.decision === requirement.decision ||
          (requirement.decision === 'approved' && record.decision === 'conditional' && record.conditionsMet === true));
      return { requirement: describeRequirement(requirement), actual, met, ...(runId && { runId }) };
    });
    const unmet = checks.filter((c) => !c.met);
    return unmet.length === 0
      ? { status: 'passed', expected, observed: { checks }, message: 'every requirement holds' }
      : {
          status: 'failed',
          expected,
          observed: { checks },
          message: `gate closed: ${unmet.map((c) => `${c.requirement} (is: ${c.actual})`).join('; ')}`,
        };
  },
};

function describeRequirement(requirement: Requirement): string {
  return 'phase' in requirement
    ? `phase ${requirement.phase} (${requirement.environment}) ${requirement.status}${requirement.allow_warnings ? ' (warnings allowed)' : ''}`
    : `approval ${requirement.approval} ${requirement.decision}`;
}
