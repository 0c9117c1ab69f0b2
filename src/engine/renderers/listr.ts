import { Listr, type ListrTaskWrapper } from 'listr2';
import type { RunEvent } from '../events.js';
import type { RenderPlan, RunRenderer } from './types.js';

type StepEnd = { readonly status: 'passed' | 'warned' | 'failed' | 'skipped'; readonly message: string };

interface Pending {
  readonly done: Promise<StepEnd>;
  resolve(end: StepEnd): void;
  task?: ListrTaskWrapper<unknown, never, never>;
}

/**
 * The live task list on a TTY (listr2's DefaultRenderer). listr2 drives tasks,
 * the engine drives the run: each listr task just waits for its step's events.
 */
export function createListrRenderer(): RunRenderer {
  const pending = new Map<string, Pending>();
  let running: Promise<unknown> = Promise.resolve();
  const settle = (stepId: string, end: StepEnd) => pending.get(stepId)?.resolve(end);
  const settleAll = (message: string) => {
    for (const id of pending.keys()) settle(id, { status: 'skipped', message });
  };

  return {
    start(plan: RenderPlan) {
      for (const step of plan.phases.flatMap((p) => p.steps)) {
        let resolve!: (end: StepEnd) => void;
        const done = new Promise<StepEnd>((r) => (resolve = r));
        pending.set(step.id, { done, resolve });
      }
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
        { concurrent: false, exitOnError: true, renderer: 'default', rendererOptions: { collapseSubtasks: false } },
      );
      running = list.run().catch(() => {});
    },
    event(event: RunEvent) {
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
      await running;
    },
  };
}
