import { describe, expect, it } from 'vitest';
import { at, finished, runStarted, step } from './runEvents.js';
import { parseEvents } from '../../../src/engine/runLog.js';
import { foldEvents } from '../../../src/engine/state.js';
import { isFinished } from '../../../src/engine/stateQueries.js';

const started = runStarted(['deploy', 'signoff']);

describe('state fold', () => {
  it('starts in progress with every phase NOT STARTED', () => {
    const state = foldEvents([started]);
    expect(state.status).toBe('in_progress');
    expect(state.phaseStatus).toEqual({ deploy: 'not_started', signoff: 'not_started' });
    expect(isFinished(state)).toBe(false);
  });

  it('tracks phases and steps, and keeps a step started but not finished as Running (interrupted)', () => {
    const state = foldEvents([
      started,
      { type: 'phase_started', at, phaseId: 'deploy' },
      step('a'),
      finished('a', 'passed'),
      step('b'),
    ]);
    expect(state.phaseStatus.deploy).toBe('in_progress');
    expect(state.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'Success'],
      ['b', 'Running'],
    ]);
  });

  it('counts attempts and keeps the last result', () => {
    const state = foldEvents([started, step('a'), step('a'), finished('a', 'failed', 'warn')]);
    expect(state.steps[0]).toMatchObject({ status: 'Error', attempts: 2, action: 'warn' });
  });

  it('waits for an approval, records decisions and conditions met', () => {
    const waiting = foldEvents([
      started,
      step('po', 'signoff'),
      { type: 'awaiting_approval', at, stepId: 'po', message: 'waiting' },
      { type: 'run_stopped', at, reason: 'awaiting_approval', message: 'waiting', stepId: 'po' },
    ]);
    expect(waiting.status).toBe('awaiting_approval');
    expect(waiting.pendingApproval).toEqual({ stepId: 'po', message: 'waiting' });

    const decided = foldEvents([
      ...[started, step('po', 'signoff')],
      { type: 'awaiting_approval', at, stepId: 'po', message: 'waiting' },
      {
        type: 'approval_recorded',
        at,
        stepId: 'po',
        by: 'Ana',
        decision: 'conditional',
        conditions: 'fix alerts',
        osUser: 'ana',
      },
      { type: 'conditions_met', at, stepId: 'po', by: 'Ana', osUser: 'ana' },
      { type: 'run_resumed', at, holder: 'bob@host', checklistHash: 'h' },
      step('po', 'signoff'),
      finished('po', 'passed'),
    ]);
    expect(decided.approvals.po).toMatchObject({
      decision: 'conditional',
      conditions: 'fix alerts',
      conditionsMet: true,
      by: 'Ana',
    });
    expect(decided.pendingApproval).toBeUndefined();
    expect(decided.status).toBe('in_progress');
    expect(decided.holders).toEqual(['ana@host', 'bob@host']);
  });

  it('marks what a completed rollback undid as RolledBack / ROLLED BACK', () => {
    const state = foldEvents([
      started,
      { type: 'phase_started', at, phaseId: 'deploy' },
      step('a'),
      finished('a', 'passed'),
      step('b'),
      finished('b', 'failed', 'rollback'),
      { type: 'phase_finished', at, phaseId: 'deploy', status: 'failed' },
      { type: 'rollback_started', at, branch: 'function_related', reason: 'b failed', triggeredBy: 'b' },
      step('drop', 'rollback:function_related'),
      finished('drop', 'passed'),
      { type: 'rollback_finished', at, branch: 'function_related', status: 'rolled_back' },
      { type: 'run_finished', at, status: 'rolled_back', message: 'rolled back' },
    ]);
    expect(state.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'RolledBack'],
      ['b', 'Error'],
      ['drop', 'Success'],
    ]);
    expect(state.phaseStatus).toEqual({ deploy: 'rolled_back', signoff: 'not_started' });
    expect(state.status).toBe('rolled_back');
    expect(state.rollback).toMatchObject({ branch: 'function_related', status: 'rolled_back', triggeredBy: 'b' });
    expect(isFinished(state)).toBe(true);
  });

  it('records a skipped step with who skipped it', () => {
    const state = foldEvents([
      started,
      step('a'),
      { type: 'step_skipped', at, stepId: 'a', phaseId: 'deploy', reason: 'checked by hand', by: 'ana@host' },
    ]);
    expect(state.steps[0]).toMatchObject({ status: 'Skipped', skipReason: 'checked by hand (by ana@host)' });
  });

  it('is pure: folding the same events twice gives equal states', () => {
    const events = [started, step('a'), finished('a', 'passed')];
    expect(foldEvents(events)).toEqual(foldEvents(events));
  });

  it('refuses a log that does not begin with run_started', () => {
    expect(() => foldEvents([step('a')])).toThrow(/run_started/);
  });
});

describe('run log parsing', () => {
  it('tolerates a torn last line and rejects a damaged middle line', () => {
    const good = JSON.stringify(started);
    expect(parseEvents(`${good}\n{"type":"step_sta`)).toHaveLength(1);
    expect(() => parseEvents(`${good}\n{"type":\n${good}\n`)).toThrow(/line 2 is not valid JSON/);
  });
});
