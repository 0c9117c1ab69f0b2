import { Listr, type ListrTaskWrapper } from 'listr2';
import type { RunEvent } from '../events.js';
import type { RunState } from '../state.js';
import { stepsDoneEarlier } from './earlierSteps.js';
import { describeResumedRollback } from './resumedRollback.js';
import type { RenderPlan, RunRenderer } from './types.js';

type StepEnd = { readonly status: 'passed' | 'warned' | 'failed' | 'skipped'; readonly message: string };

interface Pending {
  readonly done: Promise<StepEnd>;
  resolve(end: StepEnd): void;
  task?: ListrTaskWrapper<unknown, never, never>;
}

/**
 * Run bookkeeping that comes before a session's first step. The list is not drawn
 * during it because a resumed run may ask the operator about an interrupted step
 * right then (interruptedStepPrompt.ts): while listr2 draws it hides the cursor,
 * holds back everything written to stdout and stderr, and redraws over whatever
 * was written below its list — the question would be hidden or overwritten.
 */
const beforeFirstStep: ReadonlySet<RunEvent['type']> = new Set(['run_started', 'run_resumed', 'lease_taken_over', 'phase_started', 'phase_finished']);

/**
 * The live task list on a TTY (listr2's DefaultRenderer). listr2 drives tasks,
 * the engine drives the run: each listr task just waits for its step's events.
 * `write` prints a line before the list is drawn (a resumed rollback says so).
 */
export function createListrRenderer(write?: (line: string) => void): RunRenderer {
  const pending = new Map<string, Pending>();
  let plan: RenderPlan | undefined;
  let running: Promise<unknown> | undefined;
  const settle = (stepId: string, end: StepEnd) => pending.get(stepId)?.resolve(end);
  const settleAll = (message: string) => {
    for (const id of pending.keys()) settle(id, { status: 'skipped', message });
  };
  const settleEarlier = (state: RunState) => {
    for (const step of stepsDoneEarlier(state)) {
      settle(step.stepId, { status: step.end, message: step.text });
    }
  };
  const draw = () => {
    if (plan && !running) running = drawList(plan, pending).catch(() => {});
  };

  return {
    start(planned: RenderPlan) {
      plan = planned;
      for (const step of planned.phases.flatMap((p) => p.steps)) {
        let resolve!: (end: StepEnd) => void;
        const done = new Promise<StepEnd>((r) => (resolve = r));
        pending.set(step.id, { done, resolve });
      }
    },
    event(event: RunEvent, state: RunState) {
      if (event.type === 'run_resumed') {
        settleEarlier(state);
        const rollback = describeResumedRollback(state);
        if (rollback !== undefined) write?.(rollback);
      }
      if (!beforeFirstStep.has(event.type)) draw();
      switch (event.type) {
        case 'step_progress':
          if (pending.get(event.stepId)?.task) pending.get(event.stepId)!.task!.output = event.message;
          return;
        case 'step_finished': {
          const message = event.outcome?.message ?? event.error?.message ?? '';
          const status = event.status === 'passed' ? 'passed' : event.action === 'warn' ? 'warned' : 'failed';
          return settle(event.stepId, { status, message });
        }
        case 'step_skipped':
          return settle(event.stepId, { status: 'skipped', message: event.reason });
        case 'awaiting_approval':
          return settle(event.stepId, { status: 'skipped', message: `waiting: ${event.message}` });
        case 'run_stopped':
        case 'run_finished':
          return settleAll('not run');
        default:
          return;
      }
    },
    async stop() {
      settleAll('not run');
      // A run that ended before its first step (a "stop" answer, a lost lease) still shows where it stands.
      draw();
      await running;
    },
  };
}

function drawList(plan: RenderPlan, pending: ReadonlyMap<string, Pending>): Promise<unknown> {
  const list = new Listr(
    plan.phases.map((phase) => ({
      title: phase.title,
      task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
        task.newListr(
          phase.steps.map((step) => ({
            title: step.title,
            task: async (_c: unknown, stepTask: ListrTaskWrapper<unknown, never, never>) => {
              const entry = pending.get(step.id)!;
              entry.task = stepTask;
              const end = await entry.done;
              if (end.status === 'skipped') return stepTask.skip(`${step.title} (${end.message})`);
              if (end.status === 'failed') throw new Error(`${step.title}: ${end.message}`);
              stepTask.title = end.status === 'warned' ? `${step.title} ⚠ ${end.message}` : `${step.title} — ${end.message}`;
            },
          })),
          { concurrent: false, exitOnError: true },
        ),
    })),
    {
      concurrent: false,
      exitOnError: true,
      renderer: 'default',
      rendererOptions: { collapseSubtasks: false },
      // listr2's own SIGINT handler would exit(127) at once; the engine stops the run on Ctrl-C (exit 130).
      registerSignalListeners: false,
    },
  );
  return list.run();
}
