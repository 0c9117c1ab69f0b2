import { type FolderListing, type ListedMigration, listFolder, namesMigration } from '../db/migrations/formats.js';
import { type FolderFieldValues, folderOf } from '../steps/migrate/folder.js';
import type { StepReference } from './stepReferences.js';
import type { RollbackBranch } from './types.js';

/** Where a phase sits in the file, as far as the file says (a field may be missing or wrong). */
export interface PhasePlace {
  readonly index: number;
  readonly id: string | undefined;
  readonly environment: string | undefined;
}

/** Where a step sits in the file and what its fields name. */
export interface StepPlace {
  /** e.g. ['phases', 2, 'steps', 0] or ['rollback', 'data_corruption', 1] */
  readonly path: readonly PropertyKey[];
  readonly id: string | undefined;
  /** Its kind when that is a registered one (an unknown kind is reported on its own). */
  readonly kind: string | undefined;
  readonly line: number;
  /** Exactly one of phase and branch. */
  readonly phase?: PhasePlace;
  readonly branch?: RollbackBranch;
  /** Index in its phase's or branch's list. */
  readonly position: number;
  /** Empty when the step's own fields did not parse (those problems are reported already). */
  readonly references: readonly StepReference[];
}

export interface ReferenceContext {
  readonly phases: readonly PhasePlace[];
  readonly steps: readonly StepPlace[];
  readonly environments: readonly string[];
  /** The checklist's directory: a step's migration directory is relative to it. */
  readonly checklistDir: string;
}

type Add = (path: readonly PropertyKey[], message: string) => void;

/**
 * Every field that names another step, a phase or a migration must name one that exists, is
 * of the right kind and, where the step reads what the other one recorded, runs before it.
 * A phase's steps run in one run per environment (phases of that environment, in file order);
 * a rollback branch runs in the run whose step failed, after the phase steps that ran.
 */
export function checkStepReferences(context: ReferenceContext, add: Add): void {
  const byId = new Map<string, StepPlace>();
  for (const step of context.steps) if (step.id !== undefined && !byId.has(step.id)) byId.set(step.id, step);
  const migrations = new MigrationDirectories(context.checklistDir);

  for (const from of context.steps) {
    for (const reference of from.references) {
      const path = [...from.path, ...reference.path];
      if (reference.to === 'step') checkStep(from, reference, path, byId, context.steps, add);
      else if (reference.to === 'phase') checkPhase(from, reference, context, add);
      else checkMigration(from, reference, migrations, add);
    }
  }
}

/**
 * rollback_branch names the branch a failure runs: it means something only on a phase step
 * whose on_fail is rollback (a rollback step that fails ends the procedure, whatever it says).
 */
export function checkRollbackBranchField(
  place: StepPlace,
  step: { readonly onFail: string; readonly rollbackBranch: RollbackBranch | undefined },
  add: Add,
): void {
  if (step.rollbackBranch === undefined) return;
  const path = [...place.path, 'rollback_branch'];
  if (place.branch) {
    add(
      path,
      `a step of the rollback procedure starts no other branch: if it fails, the rollback ends "failed to roll back" (remove rollback_branch)`,
    );
  } else if (step.onFail !== 'rollback') {
    add(
      path,
      `rollback_branch ${step.rollbackBranch} takes effect only with on_fail: rollback (this step's on_fail is ${step.onFail}, so its failure never runs that branch)`,
    );
  }
}

function checkStep(
  from: StepPlace,
  reference: Extract<StepReference, { to: 'step' }>,
  path: readonly PropertyKey[],
  byId: ReadonlyMap<string, StepPlace>,
  steps: readonly StepPlace[],
  add: Add,
): void {
  const why = (target: StepPlace) =>
    reference.when === 'this-run' ? ranBefore(from, target) : recordedBefore(from, target);
  const valid = steps
    .filter((s) => s.kind === reference.kind && s.id !== undefined && why(s) === undefined)
    .map((s) => s.id!);
  const listed = validList(reference, valid);
  const target = byId.get(reference.id);
  if (!target) {
    add(path, `no step "${reference.id}" (${listed})`);
    return;
  }
  if (target.kind !== undefined && target.kind !== reference.kind) {
    add(
      path,
      `step "${reference.id}" is ${article(target.kind)} ${target.kind} step, not ${article(reference.kind)} ${reference.kind} step (${listed})`,
    );
    return;
  }
  const problem = why(target);
  if (problem !== undefined) add(path, `${reference.kind} step "${reference.id}" ${problem} (${listed})`);
}

function validList(reference: Extract<StepReference, { to: 'step' }>, ids: readonly string[]): string {
  const which = reference.when === 'this-run' ? 'that run before this step in its run' : 'this gate can wait for';
  return ids.length > 0
    ? `${reference.kind} steps ${which}: ${ids.join(', ')}`
    : `no ${reference.kind} step ${which.replace(/^that run/, 'runs')}`;
}

/** Why `target` has no outcome yet in the run where `from` runs, or undefined when it has. */
function ranBefore(from: StepPlace, target: StepPlace): string | undefined {
  if (target === from) return 'is this step itself';
  if (from.phase) {
    if (target.branch) return `is a step of the rollback branch ${target.branch}, which runs only after a failure`;
    const phase = target.phase!;
    if (phase.environment !== from.phase.environment) {
      return `runs on ${phase.environment} (phase ${phase.id}), in another run than this step on ${from.phase.environment}`;
    }
    if (phase.index > from.phase.index || (phase.index === from.phase.index && target.position > from.position)) {
      return `runs after this step (line ${target.line}), so it has recorded nothing yet when this step runs`;
    }
    return undefined;
  }
  if (target.phase) return undefined;
  if (target.branch !== from.branch)
    return `is in the rollback branch ${target.branch}; only one branch runs, and this step is in ${from.branch}`;
  return target.position > from.position
    ? `runs after this step in the ${from.branch} branch (line ${target.line})`
    : undefined;
}

/** Why a decision recorded for `target` can never be there when `from` (a gate) is checked. */
function recordedBefore(from: StepPlace, target: StepPlace): string | undefined {
  if (target.branch)
    return `is a step of the rollback branch ${target.branch}; only a phase's approval steps are asked for and recorded`;
  const phase = target.phase!;
  if (!from.phase || phase.environment !== from.phase.environment) return undefined;
  if (phase.index > from.phase.index || (phase.index === from.phase.index && target.position > from.position)) {
    return `comes after this gate (line ${target.line}) in the same run on ${phase.environment}, so the gate is checked before the decision is asked for`;
  }
  return undefined;
}

function checkPhase(
  from: StepPlace,
  reference: Extract<StepReference, { to: 'phase' }>,
  context: ReferenceContext,
  add: Add,
): void {
  const reason = (phase: PhasePlace): string | undefined => {
    if (!from.phase || phase.environment !== from.phase.environment) return undefined;
    if (phase.index === from.phase.index) return "is this gate's own phase: it is in progress while the gate runs";
    if (phase.index > from.phase.index)
      return `runs after this gate's phase on the same environment (${phase.environment})`;
    return undefined;
  };
  const valid = context.phases.filter((p) => p.id !== undefined && reason(p) === undefined).map((p) => p.id!);
  const listed =
    valid.length > 0 ? `phases this gate can require: ${valid.join(', ')}` : 'no phase can be required here';
  const { environment } = reference;
  const environmentPath = [...from.path, ...environment.path];
  const declared = context.environments.includes(environment.name);
  if (!declared && context.environments.length > 0) {
    add(
      environmentPath,
      `environment "${environment.name}" is not declared (declared: ${context.environments.join(', ')})`,
    );
  }

  const path = [...from.path, ...reference.path];
  const phase = context.phases.find((p) => p.id === reference.id);
  if (!phase) {
    add(path, `no phase "${reference.id}" (${listed})`);
    return;
  }
  const problem = reason(phase);
  if (problem !== undefined) {
    add(path, `phase "${reference.id}" ${problem} (${listed})`);
    return;
  }
  if (declared && phase.environment !== undefined && phase.environment !== environment.name) {
    add(environmentPath, `phase "${reference.id}" runs on ${phase.environment}, not on ${environment.name}`);
  }
}

function checkMigration(
  from: StepPlace,
  reference: Extract<StepReference, { to: 'migration' }>,
  directories: MigrationDirectories,
  add: Add,
): void {
  const { directory } = reference;
  const folder = reference.folder ?? { format: 'shipcheck' };
  const shown =
    directory === undefined
      ? folder.format === 'plain'
        ? 'the checklist directory'
        : "shipcheck's db/migrations"
      : directory.value;
  const read = directories.list(folder, directory?.value);
  if ('reason' in read) {
    const where = directory === undefined ? reference.path : directory.path;
    add([...from.path, ...where], `cannot read the migrations directory ${shown} (${read.reason})`);
    return;
  }
  if (read.duplicates.length > 0) {
    add(
      [...from.path, ...(directory?.path ?? reference.path)],
      `two migrations share a version in ${shown}: ${read.duplicates.join('; ')}`,
    );
    return;
  }
  const listing = read.migrations;
  const migration = listing.find((m) => namesMigration(m, reference.id));
  if (!migration) {
    const known = listing.map((m) => m.id).join(', ');
    add(
      [...from.path, ...reference.path],
      `no migration "${reference.id}" in ${shown} (${known ? `migrations: ${known}` : 'it has none'})`,
    );
    return;
  }
  const needs = reference.needs;
  if (!needs) return;
  const has =
    needs.script === 'revert'
      ? (m: ListedMigration) => m.revert !== undefined
      : (m: ListedMigration) => m.verify !== undefined;
  if (has(migration)) return;
  const others = listing.filter(has).map((m) => m.id);
  add(
    [...from.path, ...needs.path],
    `migration ${migration.name} has no ${needs.script} script (${folder.format === 'shipcheck' ? `${migration.name}.${needs.script}.sql in ${shown}` : `name one in the step's scripts.${migration.id}.${needs.script}`}; ` +
      `${others.length > 0 ? `migrations with one: ${others.join(', ')}` : `no migration there has one`})`,
  );
}

/** Each directory read once per load. */
class MigrationDirectories {
  readonly #checklistDir: string;
  readonly #read = new Map<string, FolderListing | { reason: string }>();

  constructor(checklistDir: string) {
    this.#checklistDir = checklistDir;
  }

  list(fields: FolderFieldValues, relative: string | undefined): FolderListing | { reason: string } {
    const folder = folderOf(fields, relative, this.#checklistDir);
    const key = JSON.stringify(folder);
    const directory = folder.directory;
    let listing = this.#read.get(key);
    if (listing === undefined) {
      try {
        listing = listFolder(folder);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason =
          code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : String(code ?? error);
        listing = { reason: `${reason}: ${directory}` };
      }
      this.#read.set(key, listing);
    }
    return listing;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
