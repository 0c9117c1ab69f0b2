import type { StepKind } from './types.js';

export interface StepTraits {
  readonly idempotent: boolean;
  readonly mutates: boolean;
  readonly rehearsable: boolean;
}

/**
 * What one step is, from its kind and its own fields: the engine takes the advisory lock,
 * asks before repeating an interrupted attempt, and `plan` labels the step from this.
 *
 * @example
 * stepTraits(sqlStep, { ...spec, mutates: true }) // { idempotent: false, mutates: true, rehearsable: true }
 */
export function stepTraits<Spec>(kind: StepKind<Spec>, spec: Spec): StepTraits {
  const own = kind.traits?.(spec) ?? {};
  return {
    idempotent: own.idempotent ?? kind.idempotent,
    mutates: own.mutates ?? kind.mutates,
    rehearsable: kind.rehearsable,
  };
}
