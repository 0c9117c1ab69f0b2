import type { DeployGateResult } from '../engine/deployGate.js';
import type { RunRenderer } from '../engine/renderers/types.js';
import type { RunStatus } from '../engine/state.js';
import type { CompletionStatus } from '../report/completionStatus.js';
import type { ZeroDowntimeFigures } from './shieldUnderLoad.js';

/** An approval step the run waits at, as the demo shows it to the person deciding. */
export interface ApprovalRequest {
  readonly runId: string;
  readonly environment: string;
  readonly stepId: string;
  readonly title: string;
  readonly role: string;
  readonly requirements: readonly string[];
}

export interface ApprovalAnswer {
  readonly by: string;
  readonly decision: 'approved' | 'rejected';
  readonly note?: string;
}

/** A line the demo has to say besides the run events (setup, gate, notifications, figures). */
export interface DemoNote {
  readonly kind: 'setup' | 'gate' | 'notification' | 'approval' | 'shield' | 'cleanup';
  readonly text: string;
}

export interface DemoOptions {
  /** Superuser connection string of the server to create the demo databases on. Never shown. */
  readonly serverUrl: string;
  /** A fresh directory for the demo's runs, evidence and reports (refused if it holds runs). */
  readonly stateDir: string;
  /** Default: shipcheck's checklists/migration-024.yaml. */
  readonly checklistFile?: string;
  /** Monitor durations and baseline windows are shortened to this (ms). */
  readonly windowCapMs: number;
  /** --break: deploy the draft function so staging rolls back. */
  readonly breakStaging?: boolean;
  /** Keep the databases at the end (they are always dropped otherwise, except as below). */
  readonly keep?: boolean;
  /**
   * The server outlives the demo (DATABASE_URL): when the run stops for an approval the
   * databases are kept so that `shipcheck approve` + `shipcheck run` can continue it.
   */
  readonly serverOutlivesDemo?: boolean;
  /** Load on each environment's Shield, requests per second. */
  readonly loadRate?: number;
  /** Where the checklist's runs take PATH, HOME and LANG from (the command's environment); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Fixed Shield API token (tests look for it in the output); random otherwise. */
  readonly shieldToken?: string;
  /** Decides an approval the run waits at; undefined = nobody can decide now (exit 3). */
  decideApproval(request: ApprovalRequest): Promise<ApprovalAnswer | undefined>;
  /** A renderer for each runChecklist call (the CLI's live list, lines or JSON). */
  rendererFor(environment: string): RunRenderer;
  note?(note: DemoNote): void;
  readonly signal?: AbortSignal;
}

export type DemoOutcome = 'passed' | 'rolled_back' | 'awaiting_approval' | 'rejected' | 'interrupted' | 'failed';

export interface DemoRun {
  readonly environment: string;
  readonly runId: string;
  readonly status: RunStatus | undefined;
  readonly message?: string;
}

export interface DemoResult {
  readonly outcome: DemoOutcome;
  readonly exitCode: number;
  readonly stateDir: string;
  readonly runs: readonly DemoRun[];
  readonly gate: { readonly beforeProduction?: DeployGateResult; readonly atEnd?: DeployGateResult };
  /** Per run a Markdown and an HTML report, mode 0600, under the state dir. */
  readonly reports: readonly string[];
  /** The seed's Completion Status block of the last run, and its text. */
  readonly completion?: CompletionStatus;
  readonly completionText?: string;
  /** What the migration locked, statement by statement (from the migrate step's evidence). */
  readonly locksText?: string;
  readonly zeroDowntime: readonly ZeroDowntimeFigures[];
  readonly notifications: readonly string[];
  readonly databases: {
    readonly staging: string;
    readonly production: string;
    readonly kept: boolean;
    /** Why dropping them failed (e.g. Ctrl-C on a terminal also stopped the embedded server). */
    readonly dropError?: string;
    /** The variables the checklist reads, each with the database it must point at. */
    readonly variables: Readonly<Record<string, string>>;
  };
  /** The approval the run waits at when nobody could give it (no TTY, no --approve-as). */
  readonly waitingFor?: ApprovalRequest;
  /** Then: the commands that continue the run (they work while the databases are kept). */
  readonly continueWith?: readonly string[];
  readonly wallMs: number;
  /** What ended the demo early, if anything did. */
  readonly error?: Error;
}
