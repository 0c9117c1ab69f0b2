import { Listr, type ListrDefaultRenderer, type ListrSimpleRenderer, type ListrTaskWrapper } from 'listr2';
import type { RunEvent } from '../events.js';
import type { RunState } from '../state.js';
import { stepsDoneEarlier } from './earlierSteps.js';
import { phaseMark, type PhaseMark } from './phaseMark.js';
import { describeResumedRollback } from './resumedRollback.js';
import type { RenderPlan, RunRenderer } from './types.js';

type Wrapper = ListrTaskWrapper<unknown, ListrDefaultRenderer, ListrSimpleRenderer>;

type StepEnd = { readonly status: 'passed' | 'warned' | 'failed' | 'skipped'; readonly message: string };

interface Pending<End = StepEnd> {
  readonly done: Promise<End>;
  resolve(end: End): void;
  task?: Wrapper;
}

function pendingEnd<End>(): Pending<End> {
  let resolve!: (end: End) => void;
  const done = new Promise<End>((r) => (resolve = r));
  return { done, resolve };
}

/**
 * Run bookkeeping that comes before a session's first step. The list is not drawn
 * during it because a resumed run may ask the operator about an interrupted step
 * right then (interruptedStepPrompt.ts): while listr2 draws it hides the cursor,
 * holds back everything written to stdout and stderr, and redraws over whatever
 * was written below its list — the question would be hidden or overwritten.
 */
const beforeFirstStep: ReadonlySet<RunEvent['type']> = new Set([
  'run_started',
  'run_resumed',
  'lease_taken_over',
  'phase_started',
  'phase_finished',
]);

/**
 * The live task list on a TTY (listr2's DefaultRenderer). listr2 drives tasks,
 * the engine drives the run: each listr task just waits for its step's events.
 * `write` prints a line before the list is drawn (a resumed rollback says so).
 */
export function createListrRenderer(write?: (line: string) => void): RunRenderer {
  const pending = new Map<string, Pending>();
  const phaseEnds = new Map<string, Pending<PhaseMark>>();
  let lastState: RunState | undefined;
  let plan: RenderPlan | undefined;
  let running: Promise<unknown> | undefined;
  const settle = (stepId: string, end: StepEnd) => pending.get(stepId)?.resolve(end);
  const settleAll = (message: string) => {
    for (const id of pending.keys()) settle(id, { status: 'skipped', message });
    // Phases take their mark from the state the run ended or stopped in (a promise settles once).
    for (const [id, end] of phaseEnds)
      end.resolve(lastState ? phaseMark(lastState, id) : { done: false, mark: '·', words: 'NOT STARTED' });
  };
  const settleEarlier = (state: RunState) => {
    for (const step of stepsDoneEarlier(state)) {
      settle(step.stepId, { status: step.end, message: step.text });
    }
    // A phase finished in an earlier session gets no phase_finished now: its mark is known already.
    for (const [id, end] of phaseEnds) {
      const status = state.phaseStatus[id] ?? 'not_started';
      if (status !== 'not_started' && status !== 'in_progress') end.resolve(phaseMark(state, id));
    }
  };
  const draw = () => {
    if (plan && !running) running = drawList(plan, pending, phaseEnds).catch(() => {});
  };

  return {
    start(planned: RenderPlan) {
      plan = planned;
      for (const step of planned.phases.flatMap((p) => p.steps)) pending.set(step.id, pendingEnd<StepEnd>());
      for (const phase of planned.phases) phaseEnds.set(phase.id, pendingEnd<PhaseMark>());
    },
    event(event: RunEvent, state: RunState) {
      lastState = state;
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
        case 'phase_finished':
          return phaseEnds.get(event.phaseId)?.resolve(phaseMark(state, event.phaseId));
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

/**
 * A phase is drawn done (✔) only when the run says it passed: one waiting for a sign-off,
 * stopped, or passed with warnings is drawn skipped, its title saying so in `status`'s
 * words, its steps still shown. Steps settle one by one; the phase's mark comes last
 * from a title-less task (listr2 draws no line for it).
 */
function drawList(
  plan: RenderPlan,
  pending: ReadonlyMap<string, Pending>,
  phaseEnds: ReadonlyMap<string, Pending<PhaseMark>>,
): Promise<unknown> {
  const list = new Listr(
    plan.phases.map((phase) => ({
      title: phase.title,
      task: (_ctx: unknown, task: Wrapper) =>
        task.newListr(
          [
            ...phase.steps.map((step) => ({
              title: step.title,
              task: async (_c: unknown, stepTask: Wrapper) => {
                const entry = pending.get(step.id)!;
                entry.task = stepTask;
                const end = await entry.done;
                if (end.status === 'skipped') return stepTask.skip(`${step.title} (${end.message})`);
                if (end.status === 'failed') throw new Error(`${step.title}: ${end.message}`);
                stepTask.title =
                  end.status === 'warned' ? `${step.title} ⚠ ${end.message}` : `${step.title} — ${end.message}`;
              },
            })),
            {
              task: async () => {
                const end = await phaseEnds.get(phase.id)!.done;
                if (end.done) return;
                task.title = `${phase.title} — ${end.mark} ${end.words}`;
                task.skip();
              },
            },
          ],
          // A skipped phase keeps its steps on screen only if they say so.
          { concurrent: false, exitOnError: true, rendererOptions: { collapseSubtasks: false } },
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
