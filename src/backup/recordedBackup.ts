import { UsageError } from '../errors.js';
import type { RunEvent } from '../engine/events.js';
import type { EvidenceRecord } from '../steps/types.js';

export interface RecordedBackup {
  readonly stepId: string;
  readonly evidence: EvidenceRecord;
  readonly tables: readonly string[];
  readonly method: string;
  readonly at: string;
}

/**
 * The backup a run recorded: the latest passed `backup` step (or the one named),
 * read from the run log, which is the truth about what was backed up and its checksum.
 */
export function findRecordedBackup(runId: string, events: readonly RunEvent[], stepId?: string): RecordedBackup {
  const backupSteps = new Set(
    events.flatMap((e) => (e.type === 'step_started' && e.kind === 'backup' ? [e.stepId] : [])),
  );
  if (stepId !== undefined && !backupSteps.has(stepId)) {
    const known = backupSteps.size ? `its backup steps: ${[...backupSteps].join(', ')}` : 'it ran no backup step';
    throw new UsageError(`step "${stepId}" is not a backup step of run ${runId} (${known})`);
  }
  const finished = events.flatMap((e) =>
    e.type === 'step_finished' &&
    backupSteps.has(e.stepId) &&
    (stepId === undefined || e.stepId === stepId) &&
    e.status === 'passed' &&
    e.outcome?.evidence?.[0]
      ? [{ event: e, evidence: e.outcome.evidence[0] }]
      : [],
  );
  const latest = finished.at(-1);
  if (!latest) {
    throw new UsageError(
      `run ${runId} recorded no finished backup${stepId ? ` for step ${stepId}` : ''}; nothing to restore`,
      {
        hint: 'shipcheck status RUN shows which steps ran',
      },
    );
  }
  const observed = (latest.event.outcome?.observed ?? {}) as { tables?: { table: string }[]; method?: string };
  return {
    stepId: latest.event.stepId,
    evidence: latest.evidence,
    tables: (observed.tables ?? []).map((t) => t.table),
    method: observed.method ?? 'unknown',
    at: latest.event.at,
  };
}
