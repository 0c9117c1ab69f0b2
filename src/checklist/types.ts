/**
 * A loaded checklist: the YAML file after validation, typed and deep-frozen.
 * Field names are camelCase here; the file uses snake_case (see schema.ts).
 */
export type OnFail = 'stop' | 'rollback' | 'warn';
export const rollbackBranches = ['function_related', 'data_corruption', 'keep_monitoring'] as const;
export type RollbackBranch = (typeof rollbackBranches)[number];

export interface ChecklistStep {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly onFail: OnFail;
  /** Which rollback branch a failure of this step calls for (default: function_related). */
  readonly rollbackBranch: RollbackBranch | undefined;
  /** The kind-specific fields, as parsed by that kind's schema. */
  readonly spec: unknown;
  /** sha256 of the step's canonical JSON: recorded in step_started so edits are detected on resume. */
  readonly hash: string;
  /** 1-based line of the step in the file, for messages. */
  readonly line: number;
}

export interface ChecklistPhase {
  readonly id: string;
  readonly title: string;
  readonly environment: string;
  readonly steps: readonly ChecklistStep[];
}

export interface ChecklistEnvironment {
  /** Name of the environment variable holding the connection string; the string never appears in the file. */
  readonly connectionEnv: string;
  /** The variable of a direct (or session-mode) connection, when connectionEnv's goes through a transaction-mode pooler. */
  readonly directConnectionEnv?: string;
}

export interface ChecklistMetadata {
  readonly migration?: string;
  readonly issue?: string;
  readonly blockedPr?: string;
  readonly description?: string;
}

export interface RollbackProcedure {
  readonly function_related: readonly ChecklistStep[];
  readonly data_corruption: readonly ChecklistStep[];
  readonly keep_monitoring: readonly ChecklistStep[];
}

export interface Checklist {
  readonly version: 1;
  readonly name: string;
  /** Absolute path of the file it was loaded from. */
  readonly file: string;
  /** Directory of the file: relative paths in steps resolve from here. */
  readonly dir: string;
  /** sha256 of the whole file, recorded in run_started. */
  readonly fileHash: string;
  readonly metadata: ChecklistMetadata;
  readonly environments: Readonly<Record<string, ChecklistEnvironment>>;
  readonly phases: readonly ChecklistPhase[];
  readonly rollback: RollbackProcedure;
}

/** Every step of the checklist, phases first, then rollback branches. */
export function allSteps(checklist: Checklist): ChecklistStep[] {
  return [...checklist.phases.flatMap((p) => p.steps), ...rollbackBranches.flatMap((b) => checklist.rollback[b])];
}
