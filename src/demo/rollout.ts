import type { Checklist } from '../checklist/types.js';
import { recordApproval } from '../engine/approvals.js';
import { logKeyFrom } from '../engine/logLine.js';
import { runChecklist, type RunResult } from '../engine/runner.js';
import { loadRun } from '../engine/runs.js';
import { AwaitingApprovalError } from '../errors.js';
import type { StepRegistry } from '../steps/registry.js';
import type { ApprovalRequest, DemoOptions } from './types.js';

/** More approval rounds than any checklist has steps means a decision that never sticks. */
const maxRounds = 20;

export interface EnvironmentRollout {
  readonly checklist: Checklist;
  readonly environment: string;
  readonly stateDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly registry: StepRegistry;
  readonly options: Pick<DemoOptions, 'decideApproval' | 'rendererFor' | 'note' | 'signal'>;
}

export interface RolloutResult {
  readonly result: RunResult;
  /** Set when the run waits for an approval nobody could give. */
  readonly waitingFor?: ApprovalRequest;
}

/**
 * Runs an environment's phases and, each time the run stops at an approval, asks for
 * the decision, records it with the function `shipcheck approve` uses, and continues
 * the same run — as an operator would with `approve` then `run`.
 */
export async function rollOut(rollout: EnvironmentRollout): Promise<RolloutResult> {
  const { checklist, environment, stateDir, options } = rollout;
  for (let round = 0; round < maxRounds; round++) {
    const result = await runChecklist({
      checklist,
      environment,
      stateDir,
      env: rollout.env,
      registry: rollout.registry,
      renderer: options.rendererFor(environment),
      ...(options.signal && { signal: options.signal }),
    });
    if (!(result.error instanceof AwaitingApprovalError) || result.runId === undefined) return { result };
    const request = await pendingRequest(checklist, stateDir, result.runId);
    if (request === undefined) return { result };
    const answer = await options.decideApproval(request);
    if (answer === undefined) return { result, waitingFor: request };
    await recordApproval({
      stateDir,
      runId: request.runId,
      stepId: request.stepId,
      by: answer.by,
      decision: answer.decision,
      ...(answer.note !== undefined && { note: answer.note }),
      logKey: logKeyFrom(rollout.env),
    });
    options.note?.({
      kind: 'approval',
      text: `${request.title}: ${answer.decision} by ${answer.by} (${request.role})`,
    });
  }
  throw new Error(`run on ${environment} still waits for an approval after ${maxRounds} decisions`);
}

async function pendingRequest(
  checklist: Checklist,
  stateDir: string,
  runId: string,
): Promise<ApprovalRequest | undefined> {
  const { state } = await loadRun(stateDir, runId);
  const pending = state.pendingApproval;
  if (!pending) return undefined;
  const step = checklist.phases.flatMap((p) => p.steps).find((s) => s.id === pending.stepId);
  const spec = (step?.spec ?? {}) as { role?: string; requirements?: readonly string[] };
  return {
    runId,
    environment: state.environment,
    stepId: pending.stepId,
    title: step?.title ?? pending.stepId,
    role: spec.role ?? 'approver',
    requirements: spec.requirements ?? [],
  };
}
