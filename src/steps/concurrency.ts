import { z } from 'zod';
import {
  describeViolationRace,
  runViolationRace,
  type ViolationRaceSpec,
  violationRaceSchema,
} from '../shield/presets/violationRace.js';
import {
  describeGenericConcurrency,
  type GenericConcurrencySpec,
  genericConcurrencySchema,
  runGenericConcurrency,
} from './concurrency/generic.js';
import type { StepKind } from './types.js';

// `preset` picks the form: absent, the generic call + invariant; a preset's name, its own fields.
const schema = z.discriminatedUnion('preset', [genericConcurrencySchema, violationRaceSchema]);

export type ConcurrencySpec = GenericConcurrencySpec | ViolationRaceSpec;

/**
 * `concurrency`: N simultaneous calls of a function on N connections, then an invariant
 * checked in SQL; passes only when every call succeeded and the invariant holds.
 * `preset: shield_violations` is Shield's race test (violations on one offender).
 *
 * @example
 * - id: race
 *   kind: concurrency
 *   call: public.increment_counter
 *   args: ["{run_id}"]
 *   calls: 100
 *   reset: delete from counters
 *   expect: { query: "select total from counters", rows: [[100]] }
 */
export const concurrencyStep: StepKind<ConcurrencySpec> = {
  kind: 'concurrency',
  schema,
  idempotent: false,
  mutates: true,
  rehearsable: false,
  describe(spec) {
    return spec.preset === 'shield_violations' ? describeViolationRace(spec) : describeGenericConcurrency(spec);
  },
  run(spec, context) {
    return spec.preset === 'shield_violations' ? runViolationRace(spec, context) : runGenericConcurrency(spec, context);
  },
};
