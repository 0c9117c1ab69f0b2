import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../checklist/hash.js';
import type { Checklist } from '../checklist/types.js';
import type { LogIntegrity } from '../engine/runLog.js';
import type { StepError } from '../engine/events.js';
import type { StoredRun } from '../engine/runs.js';
import { type LogRepair, progressKept, type RunStatus, type StepState, type StepStatus } from '../engine/state.js';
import type { ApprovalRecord, EvidenceRecord } from '../steps/types.js';
import { benchmarksOf, type ReportBenchmark } from './benchmarkTable.js';
import { type CompletionStatus, completionStatus } from './completionStatus.js';

export interface ReportEvidence extends EvidenceRecord {
  /** The file on disk still has the recorded sha256 (false: changed or missing). */
  readonly intact: boolean;
}

export interface ReportStep {
  readonly id: string;
  readonly phaseId: string;
  readonly kind: string;
  readonly title: string;
  readonly status: StepStatus;
  readonly expected?: string;
  readonly observed?: unknown;
  readonly message?: string;
  readonly error?: StepError;
  readonly onFailAction?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly attempts: number;
  readonly progress: readonly string[];
  readonly metrics?: Readonly<Record<string, number>>;
  readonly evidence: readonly ReportEvidence[];
  readonly approval?: ApprovalRecord;
}

export interface RunLogSummary {
  readonly events: number;
  /** Events of the log's start written before the hash chain (format 1). */
  readonly unchainedEvents: number;
  readonly signature: LogIntegrity['signature'];
  readonly repairs: readonly LogRepair[];
  /** The same in one sentence. */
  readonly summary: string;
}

/** Everything a report shows, as data: the JSON report is this object. */
export interface RunReport {
  readonly generatedAt: string;
  readonly run: {
    readonly id: string;
    readonly checklist: string;
    readonly checklistFile: string;
    readonly environment: string;
    readonly target: string;
    readonly rehearsal: boolean;
    readonly status: RunStatus;
    readonly message?: string;
    readonly startedAt: string;
    readonly updatedAt: string;
    readonly operators: readonly string[];
    readonly leaseTakeovers: readonly { at: string; holder: string; previousHolder: string; reason: string }[];
    /** What the log's chain and signatures say (docs/runs.md, "The run log"). */
    readonly log: RunLogSummary;
  };
  readonly metadata: Readonly<Record<string, string>>;
  readonly completion: CompletionStatus;
  readonly steps: readonly ReportStep[];
  readonly approvals: Readonly<Record<string, ApprovalRecord>>;
  /** The seed's "Performance Benchmarking" tables the monitor steps recorded (baseline vs after). */
  readonly benchmarks: readonly ReportBenchmark[];
  readonly rollback?: {
    readonly branch: string;
    readonly reason: string;
    readonly triggeredBy?: string;
    readonly status: string;
  };
}

/**
 * The report of one run: every step in checklist order (NotExecuted ones too when
 * the checklist is given), with expectation, observation, timings, evidence
 * (re-hashed to show it is intact) and who approved.
 */
export async function buildRunReport(
  run: StoredRun,
  allRuns: readonly StoredRun[],
  checklist?: Checklist,
): Promise<RunReport> {
  const { state } = run;
  const recorded = new Map(state.steps.map((s) => [s.id, s]));
  const plannedIds = checklist
    ? checklist.phases
        .filter((p) => state.runPhases.includes(p.id))
        .flatMap((p) => p.steps.map((s) => ({ id: s.id, phaseId: p.id, kind: s.kind, title: s.title })))
    : [];
  const order = [
    ...plannedIds,
    ...state.steps
      .filter((s) => !plannedIds.some((p) => p.id === s.id))
      .map((s) => ({ id: s.id, phaseId: s.phaseId, kind: s.kind, title: s.title })),
  ];
  const steps: ReportStep[] = [];
  for (const planned of order) {
    const s = recorded.get(planned.id);
    const evidence = await Promise.all((s?.outcome?.evidence ?? []).map((e) => checkEvidence(run.dir, e)));
    const approval = state.approvals[planned.id];
    steps.push({
      id: planned.id,
      phaseId: s?.phaseId ?? planned.phaseId,
      kind: s?.kind || planned.kind,
      title: s?.title ?? planned.title,
      status: s?.status ?? 'NotExecuted',
      ...(s?.outcome && { expected: s.outcome.expected, observed: s.outcome.observed, message: s.outcome.message }),
      ...(s?.outcome?.metrics && { metrics: s.outcome.metrics }),
      ...(s?.error && { error: s.error, message: s.error.message }),
      ...(s?.skipReason !== undefined && { message: s.skipReason }),
      ...(s?.action !== undefined && { onFailAction: s.action }),
      ...(s?.startedAt !== undefined && { startedAt: s.startedAt }),
      ...(s?.finishedAt !== undefined && { finishedAt: s.finishedAt }),
      ...(s?.durationMs !== undefined && { durationMs: s.durationMs }),
      attempts: s?.attempts ?? 0,
      progress: s ? progressLines(s) : [],
      evidence,
      ...(approval && { approval }),
    });
  }
  return {
    generatedAt: new Date().toISOString(),
    run: {
      id: state.runId,
      checklist: state.checklist,
      checklistFile: state.checklistFile,
      environment: state.environment,
      target: state.target,
      rehearsal: state.rehearse,
      status: state.status,
      ...(state.message !== undefined && { message: state.message }),
      startedAt: state.startedAt,
      updatedAt: state.updatedAt,
      operators: [...new Set(state.holders)],
      leaseTakeovers: state.takeovers,
      log: logSummary(run),
    },
    metadata: state.metadata,
    completion: completionStatus(run, allRuns),
    steps,
    approvals: state.approvals,
    benchmarks: benchmarksOf(steps),
    ...(state.rollback && { rollback: state.rollback }),
  };
}

async function checkEvidence(runDir: string, evidence: EvidenceRecord): Promise<ReportEvidence> {
  try {
    return { ...evidence, intact: sha256(await readFile(join(runDir, evidence.path))) === evidence.sha256 };
  } catch {
    return { ...evidence, intact: false };
  }
}

/** The progress lines the state kept, with a line saying how many between them it left out. */
function progressLines(step: StepState): readonly string[] {
  const omitted = step.progressOmitted ?? 0;
  if (omitted === 0) return step.progress;
  const { first } = progressKept;
  return [
    ...step.progress.slice(0, first),
    `… ${omitted} progress lines left out here (every one is in the run log, events.jsonl)`,
    ...step.progress.slice(first),
  ];
}

function logSummary(run: StoredRun): RunLogSummary {
  const { integrity, events, state } = run;
  const chain =
    integrity.unchained === 0
      ? 'hash chain intact'
      : `the first ${integrity.unchained} written before the hash chain (format 1): not verifiable`;
  const signature = {
    verified: 'every event signed and verified with SHIPCHECK_LOG_KEY',
    unchecked: 'signed, not checked (SHIPCHECK_LOG_KEY not set here)',
    unsigned: 'unsigned',
    invalid: `event ${integrity.firstInvalid}'s signature does not verify with SHIPCHECK_LOG_KEY`,
  }[integrity.signature];
  const repairs = state.logRepairs ?? [];
  const repaired = repairs
    .map((r) => `; a torn line of ${r.bytes} bytes cut off ${r.at} (kept in ${r.sideFile})`)
    .join('');
  const torn =
    integrity.tornBytes > 0 ? `; a torn last line of ${integrity.tornBytes} bytes (a crash mid-write) left out` : '';
  return {
    events: events.length,
    unchainedEvents: integrity.unchained,
    signature: integrity.signature,
    repairs,
    summary: `${events.length} events, ${chain}; ${signature}${repaired}${torn}`,
  };
}
