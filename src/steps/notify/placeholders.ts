import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext } from '../types.js';

export const placeholderNames = ['checklist', 'environment', 'phase', 'run_id', 'step'] as const;

/**
 * The values a message's {placeholders} take. The checklist name and the current
 * phase are not part of StepContext, so they are read from the run's own log
 * (run_started, and this step's latest step_started); absent, they read "(unknown)".
 */
export async function placeholderValues(
  context: StepContext,
): Promise<Record<(typeof placeholderNames)[number], string>> {
  const fromLog = await readRunLabels(context.runDir, context.step.id);
  return {
    checklist: fromLog.checklist ?? '(unknown)',
    environment: context.environment.name,
    phase: fromLog.phase ?? '(unknown)',
    run_id: context.runId,
    step: context.step.title,
  };
}

export function fillPlaceholders(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (match, name: string) => values[name] ?? match);
}

async function readRunLabels(runDir: string, stepId: string): Promise<{ checklist?: string; phase?: string }> {
  let text: string;
  try {
    text = await readFile(join(runDir, 'events.jsonl'), 'utf8');
  } catch {
    return {};
  }
  const labels: { checklist?: string; phase?: string } = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const event = JSON.parse(line) as { type?: string; checklist?: string; stepId?: string; phaseId?: string };
      if (event.type === 'run_started' && event.checklist) labels.checklist = event.checklist;
      if (event.type === 'step_started' && event.stepId === stepId && event.phaseId) labels.phase = event.phaseId;
    } catch {
      // A torn last line after a crash: the labels are cosmetic, the rest of the log still counts.
    }
  }
  return labels;
}
