import type { RunEvent } from '../../../src/engine/events.js';

/** Events of a hand-built run log, for the state fold's unit tests. */
export const at = '2025-10-24T10:00:00.000Z';

/** run_started of a staging run over `phaseIds` (each phase titled after its id, capitalised). */
export function runStarted(phaseIds: readonly string[]): RunEvent {
  return {
    type: 'run_started',
    at,
    runId: '20251024-100000-staging-abcd',
    checklist: 'm24',
    checklistFile: '/x.yaml',
    checklistHash: 'h',
    environment: 'staging',
    target: 'localhost:5432/db',
    rehearse: false,
    phases: phaseIds.map((id) => ({ id, title: titleOf(id), environment: 'staging' })),
    runPhases: [...phaseIds],
    metadata: {},
    holder: 'ana@host',
  };
}

export const step = (stepId: string, phaseId = 'deploy'): RunEvent => ({
  type: 'step_started',
  at,
  stepId,
  phaseId,
  kind: 'sql',
  title: stepId,
  hash: `h-${stepId}`,
  attempt: 1,
});

export const finished = (
  stepId: string,
  status: 'passed' | 'failed',
  action?: 'warn' | 'stop' | 'rollback',
): RunEvent => ({
  type: 'step_finished',
  at,
  stepId,
  status,
  durationMs: 5,
  ...(action && { action }),
  outcome: { status, expected: 'e', observed: {}, message: status },
});

function titleOf(id: string): string {
  return { deploy: 'Deploy', signoff: 'Sign-off', later: 'Later' }[id] ?? id;
}
