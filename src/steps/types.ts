import type { z } from 'zod';
import type { Database, Queryable } from '../db/database.js';
import type { OutcomeStatus, PhaseStatus } from '../engine/status.js';

export type { PhaseStatus } from '../engine/status.js';

/**
 * The shape every step kind shares (node-pg-migrate's operations/ pattern):
 * one module per kind under src/steps/<kind>.ts, one line in src/steps/registry.ts.
 *
 * A step in a checklist file is `{ id, kind, title?, on_fail?, ...kind-specific fields }`.
 * The common fields are parsed by the checklist schema; `schema` below parses the rest.
 */
export interface StepKind<Spec = unknown> {
  readonly kind: string;
  /** zod schema of the kind-specific fields (strict: unknown keys are rejected). */
  readonly schema: z.ZodType<Spec>;
  /** Safe to run again after an interrupted attempt (read-only checks are; a migration is not). */
  readonly idempotent: boolean;
  /** Changes the target database: runs under the run's advisory lock on that database. */
  readonly mutates: boolean;
  /** Included in `run --rehearse`, inside the one transaction that is rolled back. */
  readonly rehearsable: boolean;
  /**
   * The step is a person's decision (an approval): its failure is a rejection that ends
   * the run `rejected`, whatever on_fail says. Read through stepTraits; default false.
   */
  readonly rejectsRun?: boolean;
  /** The step records a person's sign-off (`shipcheck approve --step` may name it). */
  readonly signOff?: boolean;
  /**
   * What its success proves for `gate --require deployed`: the migration is applied, its
   * contract verified, or the phase watched and healthy. Kinds without one do not count.
   */
  readonly gateEvidence?: 'applies' | 'verifies' | 'watches';
  /** When one step's fields change the above (an `sql` step with `mutates: true`); read through stepTraits. */
  traits?(spec: Spec): Partial<Pick<StepKind, 'idempotent' | 'mutates'>>;
  /** What `plan` prints: a summary plus the SQL or command that would run. */
  describe(spec: Spec, step: StepHeader): StepDescription;
  run(spec: Spec, context: StepContext): Promise<StepOutcome>;
  /**
   * A check `plan` can already make from files alone, with no database (the lint step's
   * rules): its verdict is shown in the plan, and a failed one makes `plan` exit 1.
   */
  preview?(spec: Spec, where: { readonly checklistDir: string }): Promise<StepPreview>;
}

export interface StepPreview {
  readonly ok: boolean;
  /** What the check found, one line each, for the plan. */
  readonly lines: readonly string[];
}

/** The fields every step has, whatever its kind. */
export interface StepHeader {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly onFail: 'stop' | 'rollback' | 'warn';
}

export interface StepDescription {
  readonly summary: string;
  /** The exact SQL, command or request that would run, for the dry run. */
  readonly detail?: string;
}

export interface StepOutcome {
  /** `passed`: the expectation held. `failed`: it did not (on_fail decides what happens next). */
  readonly status: OutcomeStatus;
  /** The expectation in words, e.g. "1 row (record_event, 2, jsonb)". */
  readonly expected: string;
  /** What was observed, JSON-serialisable, secrets removed. Goes into the event log and the report. */
  readonly observed: unknown;
  /** One sentence for the task list and the report. */
  readonly message: string;
  /** Files written through context.evidence during the step. */
  readonly evidence?: readonly EvidenceRecord[] | undefined;
  /** Figures the monitor, baseline and report read back (latency_ms_p95, db_calls_per_action, …). */
  readonly metrics?: Readonly<Record<string, number>> | undefined;
  /**
   * A failed step that found corrupted data says so here: with `on_fail: rollback`
   * the rollback procedure's data_corruption branch runs (restore, then drop)
   * instead of the default function_related one.
   */
  readonly rollbackBranch?: 'function_related' | 'data_corruption' | undefined;
}

export interface EvidenceRecord {
  /** Path relative to the run directory. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly description: string;
}

export interface EnvironmentHandle {
  readonly name: string;
  /** Name of the environment variable that holds the connection string (the value is never stored). */
  readonly connectionEnv: string;
  /** The connection string itself: pass to child processes in a dedicated variable, never print it. */
  readonly connectionString: string;
  /** host:port/database, safe to show. */
  readonly label: string;
  readonly db: Database;
  /**
   * The environment's direct_connection_env, when declared: a connection that is one server
   * session per client (no transaction-mode pooler), for session locks and steps that span
   * transactions. See src/steps/sessionTarget.ts.
   */
  readonly direct?: { readonly connectionEnv: string; readonly connectionString: string; readonly db: Database };
}

export interface StepContext {
  readonly runId: string;
  /** Absolute path of .shipcheck/runs/<run-id>/ */
  readonly runDir: string;
  /** Absolute path of the checklist file's directory: relative paths in steps resolve from here. */
  readonly checklistDir: string;
  readonly environment: EnvironmentHandle;
  readonly step: StepHeader;
  /** Set during `run --rehearse`: run SQL on this client, inside the rehearsal transaction. */
  readonly rehearsal?: { readonly client: Queryable };
  /** Writes a file under the run directory, mode 0600, fsynced, and returns its record. */
  writeEvidence(name: string, content: string | Buffer, description: string): Promise<EvidenceRecord>;
  /** Progress for long steps (shown by the renderer, recorded in the log). */
  progress(message: string): void;
  /**
   * Records what a resumed attempt needs to continue where this one stops (a step_checkpoint
   * event, fsynced before it resolves). Undefined outside the engine (step tests).
   */
  checkpoint?(data: unknown): Promise<void>;
  /**
   * What the attempts of this step interrupted since it last finished recorded with
   * checkpoint(), oldest first; empty on a first attempt. The step validates them.
   */
  readonly checkpoints?: readonly unknown[];
  /** Outcomes of earlier steps in this run and in other runs of the same checklist (for gate, baseline, monitor). */
  readonly history: RunHistory;
  readonly signal: AbortSignal;
  /**
   * The run's environment variables (RunOptions.env): a step reads webhook URLs and PATH
   * from here, so a run started from code with its own `env` never falls back to the
   * process's. Undefined outside the engine (step tests): then process.env.
   */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunHistory {
  /** The latest outcome recorded for a step id in this run (or undefined). */
  outcomeOf(stepId: string): StepOutcome | undefined;
  /** Status of a phase in the latest run of this checklist for that phase's environment. */
  phaseStatus(phaseId: string): PhaseStatus;
  /** The decision recorded for an approval step in this run, if any: a decision of another run never counts. */
  approvalOf(stepId: string): ApprovalRecord | undefined;
  /**
   * For a gate: the decision of an approval step in the run that holds the evidence, the latest
   * run on the approval's environment that ran the required phases or the approval's phase.
   * `problem` says why the decision found cannot open the gate (rolled back, checklist edited).
   */
  gateApproval(stepId: string, requiredPhases: readonly string[]): GateApproval;
  /** An earlier decision for this approval step in another run: context for `approve`, never consent. */
  earlierApproval(stepId: string): (ApprovalRecord & { readonly runId: string }) | undefined;
}

export interface GateApproval {
  readonly record?: ApprovalRecord;
  /** The run the decision was looked for in. */
  readonly runId?: string;
  readonly problem?: string;
}

export interface ApprovalRecord {
  readonly by: string;
  readonly decision: 'approved' | 'conditional' | 'rejected';
  readonly note?: string;
  readonly conditions?: string;
  readonly conditionsMet?: boolean;
  readonly at: string;
  readonly osUser: string;
  /** The run it was given in, the checklist file's sha256 then, and the phases' statuses it approved. */
  readonly runId?: string;
  readonly checklistHash?: string;
  readonly phases?: Readonly<Record<string, PhaseStatus>>;
}
