import { describe, expect, it } from 'vitest';
import { at, finished, runStarted, step } from './runEvents.js';
import type { RunEvent } from '../../../src/engine/events.js';
import { phaseMark } from '../../../src/engine/renderers/phaseMark.js';
import { foldEvents } from '../../../src/engine/state.js';
import { warnedSteps } from '../../../src/engine/stateQueries.js';
import { statusWords } from '../../../src/engine/statusWords.js';

const started = runStarted(['deploy', 'signoff', 'later']);
const phase = (phaseId: string, status: 'passed' | 'failed'): RunEvent => ({
  type: 'phase_finished',
  at,
  phaseId,
  status,
});

describe('a warned step is not a pass', () => {
  it('a phase and a run that finished "passed" with a warned step read PASSED WITH WARNINGS', () => {
    const state = foldEvents([
      started,
      step('a'),
      finished('a', 'failed', 'warn'),
      step('b'),
      finished('b', 'passed'),
      phase('deploy', 'passed'),
      step('c', 'signoff'),
      finished('c', 'passed'),
      phase('signoff', 'passed'),
      { type: 'run_finished', at, status: 'passed', message: 'every step of 2 phase(s) passed' },
    ]);
    expect(state.phaseStatus).toMatchObject({ deploy: 'passed_with_warnings', signoff: 'passed' });
    expect(state.status).toBe('passed_with_warnings');
    expect(warnedSteps(state).map((s) => s.id)).toEqual(['a']);
    expect(statusWords(state.status)).toBe('PASSED WITH WARNINGS');
  });

  it('a step that failed and stopped the run is not a warning', () => {
    const state = foldEvents([started, step('a'), finished('a', 'failed', 'stop'), phase('deploy', 'failed')]);
    expect(warnedSteps(state)).toEqual([]);
    expect(state.phaseStatus.deploy).toBe('failed');
  });
});

describe('the live list draws a phase done only when it passed', () => {
  it('waiting, stopped, warned and not started phases get their own marks, in status words', () => {
    const waiting = foldEvents([
      started,
      step('a'),
      finished('a', 'failed', 'warn'),
      phase('deploy', 'passed'),
      { type: 'phase_started', at, phaseId: 'signoff' },
      step('po', 'signoff'),
      { type: 'awaiting_approval', at, stepId: 'po', message: 'waiting' },
      { type: 'run_stopped', at, reason: 'awaiting_approval', message: 'waiting', stepId: 'po' },
    ]);
    expect(phaseMark(waiting, 'deploy')).toEqual({ done: false, mark: '⚠', words: 'PASSED WITH WARNINGS' });
    expect(phaseMark(waiting, 'signoff')).toEqual({ done: false, mark: '⏸', words: 'AWAITING APPROVAL' });
    expect(phaseMark(waiting, 'later')).toEqual({ done: false, mark: '·', words: 'NOT STARTED' });

    const stopped = foldEvents([
      started,
      { type: 'phase_started', at, phaseId: 'deploy' },
      step('a'),
      { type: 'run_stopped', at, reason: 'interrupted', message: 'Ctrl-C' },
    ]);
    expect(phaseMark(stopped, 'deploy')).toEqual({ done: false, mark: '■', words: 'STOPPED' });

    const passed = foldEvents([started, step('a'), finished('a', 'passed'), phase('deploy', 'passed')]);
    expect(phaseMark(passed, 'deploy')).toEqual({ done: true, mark: '✔', words: 'PASSED' });
  });
});
