import type { StepRegistry } from '../steps/registry.js';
import type { StepContext, StepKind, StepOutcome } from '../steps/types.js';
import { annotateCapped, cappedNote, capWindow } from './windowCap.js';

/**
 * Something the demo does around a step: the app change deployed after the migration
 * (the writer switch), the fault of --break, the app rolled back before the function is
 * dropped. It reports through context.progress, so it is in the run log and on screen.
 */
export type StepHook = (
  context: StepContext,
  step: { readonly id: string; readonly kind: string; readonly spec: unknown },
) => Promise<void>;

export interface DemoHooks {
  /** Runs before a step; decides itself whether the step concerns it. */
  readonly before?: StepHook;
  /** Runs after a step that passed. */
  readonly afterPassed?: StepHook;
}

export interface DemoRegistryOptions {
  /** Monitor durations and baseline windows longer than this are shortened to it. */
  readonly windowCapMs: number;
  readonly hooks?: DemoHooks;
}

/**
 * The registry the demo runs the checklist with: every kind as it is (same schema, same
 * describe), its run wrapped so that long windows are shortened — and say so in the
 * outcome — and the demo's hooks run around the steps.
 */
export function demoRegistry(base: StepRegistry, options: DemoRegistryOptions): StepRegistry {
  const wrapped = new Map<string, StepKind<unknown>>();
  for (const [name, kind] of base) wrapped.set(name, wrapKind(kind, options));
  return wrapped;
}

function wrapKind(kind: StepKind<unknown>, options: DemoRegistryOptions): StepKind<unknown> {
  return {
    ...kind,
    async run(spec, context): Promise<StepOutcome> {
      const step = { id: context.step.id, kind: kind.kind, spec };
      await options.hooks?.before?.(context, step);
      const { spec: runSpec, capped } = capWindow(kind.kind, spec, options.windowCapMs);
      if (capped) context.progress(cappedNote(capped));
      const raw = await kind.run(runSpec, context);
      const outcome = capped ? annotateCapped(raw, capped) : raw;
      if (outcome.status === 'passed') await options.hooks?.afterPassed?.(context, step);
      return outcome;
    },
  };
}
