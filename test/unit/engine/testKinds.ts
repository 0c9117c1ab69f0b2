import { z } from 'zod';
import { DatabaseError } from '../../../src/errors.js';
import { createRegistry, stepKinds } from '../../../src/steps/registry.js';
import type { StepKind } from '../../../src/steps/types.js';

/** Test-only step kinds, registered next to the real ones (the runner takes a registry). */
const probeSchema = z.strictObject({
  // server_shutdown: the error a query gets when the server shuts down under it (admin_shutdown).
  result: z.enum(['passed', 'failed', 'throws', 'server_shutdown']).default('passed'),
  data_corruption: z.boolean().default(false),
  evidence: z.string().optional(),
});
type ProbeSpec = z.infer<typeof probeSchema>;

/** Every probe run, in order: tests assert what ran and what did not. */
export const probeCalls: string[] = [];

function probe(kind: string, flags: { idempotent: boolean; mutates: boolean }): StepKind<ProbeSpec> {
  return {
    kind,
    schema: probeSchema,
    ...flags,
    rehearsable: false,
    describe: (spec) => ({ summary: `probe that ${spec.result}` }),
    async run(spec, context) {
      probeCalls.push(context.step.id);
      context.progress(`probing ${context.step.id}`);
      const evidence = spec.evidence
        ? [await context.writeEvidence('probe.txt', spec.evidence, 'what the probe saw')]
        : [];
      if (spec.result === 'throws') throw new Error(`probe ${context.step.id} exploded`);
      if (spec.result === 'server_shutdown')
        throw new DatabaseError('terminating connection due to administrator command', { sqlState: '57P01' });
      return {
        status: spec.result,
        expected: 'the probe result',
        observed: { result: spec.result },
        message: `probe ${spec.result}`,
        evidence,
        ...(spec.data_corruption && { rollbackBranch: 'data_corruption' as const }),
      };
    },
  };
}

export const probeStep = probe('probe', { idempotent: true, mutates: false });
export const mutatingProbeStep = probe('probe_mutating', { idempotent: false, mutates: true });

export const testRegistry = createRegistry([...stepKinds, probeStep, mutatingProbeStep]);
