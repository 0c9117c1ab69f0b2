import { stepTraits, type StepTraits } from '../steps/traits.js';
import type { Checklist, ChecklistStep, RollbackBranch } from '../checklist/types.js';
import { rollbackBranches } from '../checklist/types.js';
import type { StepRegistry } from '../steps/registry.js';
import type { StepPreview } from '../steps/types.js';
import { selectPhases } from './runner.js';
import { findResumable, listRuns } from './runs.js';

export interface PlannedStep {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly onFail: string;
  readonly summary: string;
  readonly detail?: string;
  readonly mutates: boolean;
  readonly idempotent: boolean;
  readonly rehearsable: boolean;
  /** When resuming: Success / Skipped steps are not run again; Running ones are interrupted. */
  readonly recorded?: string;
  /** What the step could already check without a database (lint findings), when its kind can. */
  readonly preview?: StepPreview;
}

export interface Plan {
  readonly checklist: string;
  readonly environment: string;
  readonly connectionEnv: string;
  readonly resumes?: { readonly runId: string; readonly status: string };
  readonly phases: readonly { readonly id: string; readonly title: string; readonly steps: readonly PlannedStep[] }[];
  readonly rollback: Readonly<Record<RollbackBranch, readonly PlannedStep[]>>;
  /** False when a step's preview already fails (e.g. a lint finding): `plan` exits 1. */
  readonly ok: boolean;
}

/**
 * `shipcheck plan`: what `run` would do, from the checklist and the state
 * directory only. No database connection, nothing written.
 */
export async function planRun(options: {
  checklist: Checklist;
  environment: string;
  stateDir: string;
  phase?: string;
  registry: StepRegistry;
}): Promise<Plan> {
  const { checklist, registry } = options;
  const phases = selectPhases(checklist, options.environment, options.phase);
  const resumable = findResumable(await listRuns(options.stateDir), checklist.name, options.environment, options.phase);
  const recorded = new Map((resumable?.state.steps ?? []).map((s) => [s.id, s.status]));
  const describe = async (step: ChecklistStep): Promise<PlannedStep> => {
    const kind = registry.get(step.kind)!;
    const preview = await kind.preview?.(step.spec, { checklistDir: checklist.dir });
    const description = kind.describe(step.spec, {
      id: step.id,
      kind: step.kind,
      title: step.title,
      onFail: step.onFail,
    });
    const status = recorded.get(step.id);
    return {
      id: step.id,
      kind: step.kind,
      title: step.title,
      onFail: step.onFail,
      summary: description.summary,
      ...(description.detail !== undefined && { detail: description.detail }),
      ...planTraits(stepTraits(kind, step.spec)),
      ...(status !== undefined && { recorded: status }),
      ...(preview !== undefined && { preview }),
    };
  };
  const plannedPhases = await Promise.all(
    phases.map(async (p) => ({ id: p.id, title: p.title, steps: await Promise.all(p.steps.map(describe)) })),
  );
  const plannedRollback = Object.fromEntries(
    await Promise.all(
      rollbackBranches.map(async (b) => [b, await Promise.all(checklist.rollback[b].map(describe))] as const),
    ),
  ) as unknown as Plan['rollback'];
  const allSteps = [...plannedPhases.flatMap((p) => p.steps), ...Object.values(plannedRollback).flat()];
  return {
    checklist: checklist.name,
    environment: options.environment,
    connectionEnv: checklist.environments[options.environment]!.connectionEnv,
    ...(resumable && { resumes: { runId: resumable.runId, status: resumable.state.status } }),
    phases: plannedPhases,
    rollback: plannedRollback,
    ok: allSteps.every((step) => step.preview?.ok !== false),
  };
}

/** The plan as text for a person. */
export function renderPlan(plan: Plan): string[] {
  const lines = [
    `plan: ${plan.checklist} on ${plan.environment} (connection from $${plan.connectionEnv}); nothing is changed by plan`,
    plan.resumes ? `run would RESUME ${plan.resumes.runId} (${plan.resumes.status})` : 'run would start a new run',
  ];
  const stepLines = (step: PlannedStep, index: number) => {
    const flags = [
      step.mutates ? 'mutates' : 'read-only',
      step.idempotent ? 'idempotent' : 'not idempotent',
      `on_fail: ${step.onFail}`,
    ];
    const done =
      step.recorded === undefined
        ? ''
        : `  [recorded: ${step.recorded}${step.recorded === 'Success' || step.recorded === 'Skipped' ? ', not run again' : ''}]`;
    const out = [
      `  ${index + 1}. ${step.title} (${step.id}, ${step.kind}; ${flags.join(', ')})${done}`,
      `     ${step.summary}`,
    ];
    if (step.detail) out.push(...step.detail.split('\n').map((l) => `       | ${l}`));
    if (step.preview)
      out.push(`     ${step.preview.ok ? '✔' : '✖'} checked now:`, ...step.preview.lines.map((l) => `       ${l}`));
    return out;
  };
  for (const phase of plan.phases) {
    lines.push('', `== ${phase.title} (${phase.id}) ==`, ...phase.steps.flatMap(stepLines));
  }
  for (const [branch, steps] of Object.entries(plan.rollback)) {
    if (steps.length === 0) continue;
    lines.push('', `== rollback: ${branch} ==`, ...steps.flatMap(stepLines));
  }
  return lines;
}

/** What `plan` shows of a step's traits. */
function planTraits({
  idempotent,
  mutates,
  rehearsable,
}: StepTraits): Pick<PlannedStep, 'idempotent' | 'mutates' | 'rehearsable'> {
  return { idempotent, mutates, rehearsable };
}
