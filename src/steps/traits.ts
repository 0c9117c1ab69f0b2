import type { ChecklistStep } from '../checklist/types.js';
import type { StepRegistry } from './registry.js';
import type { StepKind } from './types.js';

export interface StepTraits {
  readonly idempotent: boolean;
  readonly mutates: boolean;
  readonly rehearsable: boolean;
  /** A failure is a person's rejection: the run ends `rejected`, on_fail does not apply. */
  readonly rejectsRun: boolean;
  /** It records a person's sign-off (`shipcheck approve --step` may name it). */
  readonly signOff: boolean;
  /** What its success proves for `gate --require deployed`, if anything. */
  readonly gateEvidence: 'applies' | 'verifies' | 'watches' | undefined;
}

/**
 * What one step is, from its kind and its own fields: the engine takes the advisory lock,
 * asks before repeating an interrupted attempt, and `plan` labels the step from this.
 *
 * @example
 * stepTraits(sqlStep, { ...spec, mutates: true }) // { idempotent: false, mutates: true, rehearsable: true, rejectsRun: false, signOff: false, gateEvidence: undefined }
 */
export function stepTraits<Spec>(kind: StepKind<Spec>, spec: Spec): StepTraits {
  const own = kind.traits?.(spec) ?? {};
  return {
    idempotent: own.idempotent ?? kind.idempotent,
    mutates: own.mutates ?? kind.mutates,
    rehearsable: kind.rehearsable,
    rejectsRun: kind.rejectsRun ?? false,
    signOff: kind.signOff ?? false,
    gateEvidence: kind.gateEvidence,
  };
}

/** The traits of a checklist step, its kind looked up in `registry` (the loader guarantees it is registered). */
export function traitsOfStep(registry: StepRegistry, step: Pick<ChecklistStep, 'kind' | 'spec'>): StepTraits {
  const kind = registry.get(step.kind);
  if (!kind) throw new Error(`step kind "${step.kind}" is not registered`);
  return stepTraits(kind, step.spec);
}
