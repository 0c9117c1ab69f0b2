import type { RunEvent } from '../events.js';
import type { RunState } from '../state.js';
import { statusWords } from '../statusWords.js';
import { stepsDoneEarlier, type EarlierStep } from './earlierSteps.js';
import { describeResumedRollback } from './resumedRollback.js';
import type { RenderPlan, RunRenderer } from './types.js';

/** Plain lines for CI logs and pipes: one line per thing that happened, no cursor tricks. */
export function createLineRenderer(write: (line: string) => void): RunRenderer {
  const titles = new Map<string, string>();
  const phaseTitles = new Map<string, string>();
  return {
    start(plan: RenderPlan) {
      for (const phase of plan.checklist.phases) phaseTitles.set(phase.id, phase.title);
      for (const step of [
        ...plan.checklist.phases.flatMap((p) => p.steps),
        ...Object.values(plan.checklist.rollback).flat(),
      ]) {
        titles.set(step.id, step.title);
      }
    },
    event(event: RunEvent, state: RunState) {
      const line = describeEvent(event, state, titles, phaseTitles);
      if (line !== undefined) write(line);
      // A resumed run steps over what is done without an event: say so once, up front.
      if (event.type === 'run_resumed') {
        for (const step of stepsDoneEarlier(state)) write(describeEarlierStep(step, titles));
        const rollback = describeResumedRollback(state);
        if (rollback !== undefined) write(rollback);
      }
    },
    async stop() {},
  };
}

const earlierMarks: Readonly<Record<EarlierStep['end'], string>> = {
  passed: '✔',
  warned: '⚠',
  skipped: '↓',
  failed: '✖',
};

function describeEarlierStep(step: EarlierStep, titles: Map<string, string>): string {
  return `${earlierMarks[step.end]} ${titles.get(step.stepId) ?? step.title} — ${step.text}`;
}

function describeEvent(
  event: RunEvent,
  state: RunState,
  titles: Map<string, string>,
  phaseTitles: Map<string, string>,
): string | undefined {
  const title = (stepId: string) => titles.get(stepId) ?? stepId;
  switch (event.type) {
    case 'run_started':
      return `run ${event.runId}: ${event.checklist} on ${event.environment} (${event.target})${event.rehearse ? ' — REHEARSAL, rolled back at the end' : ''}`;
    case 'run_resumed':
      return `resuming run ${state.runId} (${event.holder})${event.acceptedChanges ? `; accepted edits of ${event.acceptedChanges.join(', ')}` : ''}`;
    case 'lease_taken_over':
      return `took over the stale lease of ${event.previous.holder} (${event.reason})`;
    case 'leftovers_cleared':
      return `cleared what a killed shipcheck left: ${[...event.children.map((c) => `${c.what} (pid ${c.pid}) ${c.killed ? 'killed' : 'had ended'}`), ...(event.passfiles > 0 ? [`${event.passfiles} password file(s) removed`] : [])].join('; ')}`;
    case 'phase_started':
      return `== ${phaseTitles.get(event.phaseId) ?? event.phaseId} ==`;
    case 'phase_finished':
      return `== ${phaseTitles.get(event.phaseId) ?? event.phaseId}: ${statusWords(state.phaseStatus[event.phaseId] ?? event.status)} ==`;
    case 'step_started':
      return event.attempt > 1 ? `… ${event.title} (attempt ${event.attempt})` : `… ${event.title}`;
    case 'step_progress':
      return `    ${event.message}`;
    case 'step_finished': {
      const why = event.outcome?.message ?? event.error?.message ?? '';
      const mark = event.status === 'passed' ? '✔' : event.action === 'warn' ? '⚠' : '✖';
      return `${mark} ${title(event.stepId)}${why ? ` — ${why}` : ''} (${event.durationMs} ms)`;
    }
    case 'step_skipped':
      return `↓ ${title(event.stepId)} — skipped: ${event.reason}`;
    case 'awaiting_approval':
      return `⏸ ${event.message}`;
    case 'approval_recorded':
      return `approval of ${event.stepId}: ${event.decision} by ${event.by}`;
    case 'conditions_met':
      return `conditions of ${event.stepId} met (${event.by})`;
    case 'rollback_started':
      return `!! rolling back (${event.branch}): ${event.reason}`;
    case 'rollback_finished':
      return event.status === 'failed'
        ? '!! FAILED TO ROLL BACK: manual repair needed'
        : `!! rollback ${event.status.replace('_', ' ')}`;
    case 'run_stopped':
      return `run ${state.runId} stopped: ${event.message}`;
    case 'run_finished':
      return `run ${state.runId} ${statusWords(state.status)}: ${event.message}`;
    case 'log_repaired':
      return `run log: a torn last line (${event.bytes} bytes, a crash mid-write) was cut off and kept in ${event.sideFile}`;
  }
}
