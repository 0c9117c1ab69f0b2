import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/engine/events.js';
import { stepsDoneEarlier } from '../../../src/engine/renderers/earlierSteps.js';
import { foldEvents } from '../../../src/engine/state.js';

const at = '2025-10-24T10:00:00.000Z';
const events: RunEvent[] = [
  {
    type: 'run_started',
    at,
    runId: '20251024-100000-staging-abcd',
    checklist: 'm24',
    checklistFile: '/x.yaml',
    checklistHash: 'h',
    environment: 'staging',
    target: 'localhost:5432/db',
    rehearse: false,
    phases: [{ id: 'deploy', title: 'Deploy', environment: 'staging' }],
    runPhases: ['deploy'],
    metadata: {},
    holder: 'ana@host',
  },
  ...(['check', 'slow', 'probe', 'cmd'] as const).map(
    (stepId): RunEvent => ({
      type: 'step_started',
      at,
      stepId,
      phaseId: 'deploy',
      kind: 'sql',
      title: `Title of ${stepId}`,
      hash: `h-${stepId}`,
      attempt: 1,
    }),
  ),
  {
    type: 'step_finished',
    at,
    stepId: 'check',
    status: 'passed',
    durationMs: 5,
    outcome: { status: 'passed', expected: 'e', observed: {}, message: 'got 1 row' },
  },
  {
    type: 'step_finished',
    at,
    stepId: 'slow',
    status: 'failed',
    durationMs: 5,
    action: 'warn',
    outcome: { status: 'failed', expected: 'e', observed: {}, message: 'p95 over 50 ms' },
  },
  {
    type: 'step_skipped',
    at,
    stepId: 'probe',
    phaseId: 'deploy',
    reason: 'interrupted; checked by hand and skipped',
    by: 'ana@host',
  },
  { type: 'run_stopped', at, reason: 'interrupted', message: 'Ctrl-C', stepId: 'cmd' },
];

describe('stepsDoneEarlier', () => {
  it('lists what a resumed run steps over — passed, warned, skipped — and not the step left running', () => {
    expect(stepsDoneEarlier(foldEvents(events))).toEqual([
      { stepId: 'check', title: 'Title of check', end: 'passed', text: 'passed in an earlier session' },
      { stepId: 'slow', title: 'Title of slow', end: 'warned', text: 'warned in an earlier session: p95 over 50 ms' },
      {
        stepId: 'probe',
        title: 'Title of probe',
        end: 'skipped',
        text: 'skipped in an earlier session: interrupted; checked by hand and skipped (by ana@host)',
      },
    ]);
  });

  it('leaves out a failure that stopped the run: it is not done', () => {
    const stopped = events.map((e) =>
      e.type === 'step_finished' && e.stepId === 'slow' ? { ...e, action: 'stop' as const } : e,
    );
    expect(stepsDoneEarlier(foldEvents(stopped)).map((s) => s.stepId)).toEqual(['check', 'probe']);
  });
});
