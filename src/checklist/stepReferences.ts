import { baselineStep, type BaselineSpec } from '../steps/baseline.js';
import { gateStep, type GateSpec } from '../steps/gate.js';
import { lintStep, type LintSpec } from '../steps/lint.js';
import { migrateStep, type MigrateSpec } from '../steps/migrate.js';
import { monitorStep, type MonitorSpec } from '../steps/monitor.js';
import type { FolderFieldValues } from '../steps/migrate/folder.js';
import { rollbackStep, type RollbackSpec } from '../steps/rollback.js';
import type { StepKind } from '../steps/types.js';

/** Path of a field inside its step, e.g. ['requires', 2, 'approval']. */
type FieldPath = readonly PropertyKey[];

/**
 * A field of a step that names something else in the checklist (or beside it), so the
 * loader can refuse a typo before anything runs instead of the step failing, or silently
 * measuring nothing, hours into a rollout.
 */
export type StepReference =
  | {
      readonly to: 'step';
      readonly path: FieldPath;
      readonly id: string;
      /** The kind the named step must have. */
      readonly kind: string;
      /**
       * this-run: the step reads the named step's outcome from its own run, so that step must
       * run before it in the same run (same environment).
       * recorded: the step reads a decision recorded in a run of the checklist (a gate's
       * approval, read from the run that holds the evidence the gate requires): a phase
       * step, and before it when on the same environment.
       */
      readonly when: 'this-run' | 'recorded';
    }
  | {
      readonly to: 'phase';
      readonly path: FieldPath;
      readonly id: string;
      /** The environment the requirement says the phase runs on. */
      readonly environment: { readonly path: FieldPath; readonly name: string };
    }
  | {
      readonly to: 'migration';
      readonly path: FieldPath;
      readonly id: string;
      /** The step's directory field (relative to the checklist), or shipcheck's db/migrations. */
      readonly directory: { readonly path: FieldPath; readonly value: string } | undefined;
      /** How the folder is laid out (format, plain's files, scripts named in the step); default shipcheck's. */
      readonly folder?: FolderFieldValues;
      /** A script the step runs besides the deploy script, and the field that asks for it. */
      readonly needs?: { readonly script: 'revert' | 'verify'; readonly path: FieldPath };
    };

type ReferencesOf<Spec> = (spec: Spec, raw: Readonly<Record<string, unknown>>) => StepReference[];

function gateReferences(spec: GateSpec): StepReference[] {
  return spec.requires.map(
    (requirement, index): StepReference =>
      'phase' in requirement
        ? {
            to: 'phase',
            path: ['requires', index, 'phase'],
            id: requirement.phase,
            environment: { path: ['requires', index, 'environment'], name: requirement.environment },
          }
        : {
            to: 'step',
            path: ['requires', index, 'approval'],
            id: requirement.approval,
            kind: 'approval',
            when: 'recorded',
          },
  );
}

function monitorReferences(spec: MonitorSpec): StepReference[] {
  return spec.baseline === undefined
    ? []
    : [{ to: 'step', path: ['baseline'], id: spec.baseline, kind: 'baseline', when: 'this-run' }];
}

function baselineReferences(spec: BaselineSpec): StepReference[] {
  return spec.compare_with === undefined
    ? []
    : [{ to: 'step', path: ['compare_with'], id: spec.compare_with, kind: 'baseline', when: 'this-run' }];
}

function rollbackReferences(spec: RollbackSpec, raw: Readonly<Record<string, unknown>>): StepReference[] {
  if (spec.restore_backup !== undefined) {
    // One id may be written without the list: the field itself is then the reference.
    const listed = Array.isArray(raw.restore_backup);
    return spec.restore_backup.map((id, index) => ({
      to: 'step',
      path: listed ? ['restore_backup', index] : ['restore_backup'],
      id,
      kind: 'backup',
      when: 'this-run',
    }));
  }
  return [
    {
      to: 'migration',
      path: ['revert_migration'],
      id: spec.revert_migration!,
      directory:
        spec.migrations_dir === undefined ? undefined : { path: ['migrations_dir'], value: spec.migrations_dir },
      folder: spec,
      needs: { script: 'revert', path: ['revert_migration'] },
    },
  ];
}

function migrateReferences(spec: MigrateSpec): StepReference[] {
  return [
    {
      to: 'migration',
      path: ['migration'],
      id: spec.migration,
      directory: spec.directory === undefined ? undefined : { path: ['directory'], value: spec.directory },
      folder: spec,
      ...(spec.verify && { needs: { script: 'verify' as const, path: ['verify'] } }),
    },
  ];
}

function lintReferences(spec: LintSpec): StepReference[] {
  if (spec.migration === undefined) return [];
  return [
    {
      to: 'migration',
      path: ['migration'],
      id: spec.migration,
      directory: spec.directory === undefined ? undefined : { path: ['directory'], value: spec.directory },
      folder: { format: spec.format },
    },
  ];
}

/**
 * The step kinds whose fields name other things, by module: a registry that puts another
 * module under one of these names (a test kind) has its steps' fields left alone.
 */
// biome-ignore lint/suspicious/noExplicitAny: each kind has its own Spec type
const referencesByKind = new Map<StepKind<any>, ReferencesOf<any>>([
  [gateStep, gateReferences],
  [monitorStep, monitorReferences],
  [baselineStep, baselineReferences],
  [rollbackStep, rollbackReferences],
  [migrateStep, migrateReferences],
  [lintStep, lintReferences],
]);

/** The references in one parsed step's fields (`spec`, as its kind's schema parsed `raw`). */
export function referencesOf(
  kind: StepKind<unknown> | undefined,
  spec: unknown,
  raw: Readonly<Record<string, unknown>>,
): StepReference[] {
  const of = kind && referencesByKind.get(kind);
  return of ? of(spec, raw) : [];
}
