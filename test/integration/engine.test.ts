import { writeFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordApproval } from '../../src/engine/approvals.js';
import { runChecklist } from '../../src/engine/runner.js';
import { ExitCode, ShipcheckError } from '../../src/errors.js';
import { probeCalls, testRegistry } from '../unit/engine/testKinds.js';
import { checklistYaml, engineFile, gatedProductionPhase, workspace, type Workspace } from './engineSupport.js';

const { staging, env, ws } = engineFile({ migrateTo: '006', production: true });

/** The exit code the CLI would use for the run's error. */
const exitCodeOf = (error: Error | undefined) => (error instanceof ShipcheckError ? error.exitCode : undefined);

const run = (checklist: Awaited<ReturnType<Workspace['writeChecklist']>>, more: Record<string, unknown> = {}) =>
  runChecklist({ checklist, environment: 'staging', stateDir: ws.stateDir, registry: testRegistry, env, ...more });

const twoStepPhase = (secondStep: string) => `  - id: deploy
    title: Staging deployment
    environment: staging
    steps:
      - { id: check-db, kind: sql, title: Database answers, query: "select 1 as one", expect: { rows: [[1]] } }
${secondStep}
      - { id: after, kind: probe, title: After }`;

describe('runChecklist', () => {
  it('runs the phases of the environment and returns a status per step, files private', async () => {
    const checklist = await ws.writeChecklist(
      checklistYaml(twoStepPhase('      - { id: probe-a, kind: probe, title: Probe A, evidence: "seen" }')),
    );
    const result = await run(checklist);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('passed');
    expect(result.results.map((r) => [r.stepId, r.status])).toEqual([
      ['check-db', 'Success'],
      ['probe-a', 'Success'],
      ['after', 'Success'],
    ]);
    const files = await ws.files();
    for (const f of files)
      expect(f.mode, f.path).toBe(
        f.content === '' && !f.path.endsWith('.jsonl') && !f.path.endsWith('.txt') ? 0o700 : 0o600,
      );
    expect(files.some((f) => f.path.endsWith(join('evidence', 'probe-a', 'probe.txt')))).toBe(true);
    // The lease is released at the end.
    expect(files.some((f) => f.path.includes('leases') && f.path.endsWith('.json'))).toBe(false);
  });

  it('on_fail stop ends the run failed and leaves later steps NotExecuted', async () => {
    const checklist = await ws.writeChecklist(
      checklistYaml(twoStepPhase('      - { id: bad, kind: probe, title: Bad, result: failed }')),
    );
    const result = await run(checklist);
    expect(result.error?.message).toContain('step bad (Bad) failed: probe failed');
    expect(exitCodeOf(result.error)).toBe(ExitCode.checkFailed);
    expect(result.status).toBe('failed');
    expect(result.results.map((r) => r.status)).toEqual(['Success', 'Error', 'NotExecuted']);
  });

  it('on_fail warn records the failure and goes on; a throwing step is an Error, not a crash', async () => {
    const checklist = await ws.writeChecklist(
      checklistYaml(twoStepPhase('      - { id: flaky, kind: probe, title: Flaky, result: throws, on_fail: warn }')),
    );
    const result = await run(checklist);
    // Every step ran, but a warning is not a pass.
    expect(result.status).toBe('passed_with_warnings');
    expect(result.results.map((r) => r.status)).toEqual(['Success', 'Error', 'Success']);
    expect(result.results[1]!.message).toBe('probe flaky exploded');
  });

  it('on_fail rollback runs the function_related branch and ends ROLLED BACK', async () => {
    const checklist = await ws.writeChecklist(
      checklistYaml(twoStepPhase('      - { id: bad, kind: probe, title: Bad, result: failed, on_fail: rollback }')),
    );
    const result = await run(checklist);
    expect(result.status).toBe('rolled_back');
    expect(probeCalls).toEqual(['bad', 'rb-drop', 'rb-verify']);
    expect(result.results.map((r) => [r.stepId, r.status])).toEqual([
      ['check-db', 'RolledBack'],
      ['bad', 'Error'],
      ['after', 'NotExecuted'],
      ['rb-drop', 'Success'],
      ['rb-verify', 'Success'],
    ]);
    expect(exitCodeOf(result.error)).toBe(ExitCode.checkFailed);
  });

  it('a step reporting data corruption picks the data_corruption branch', async () => {
    const checklist = await ws.writeChecklist(
      checklistYaml(
        twoStepPhase(
          '      - { id: bad, kind: probe, title: Bad, result: failed, data_corruption: true, on_fail: rollback }',
        ),
      ),
    );
    const result = await run(checklist);
    expect(result.status).toBe('rolled_back');
    expect(probeCalls).toEqual(['bad', 'rb-restore', 'rb-drop-2']);
  });

  it('a failing rollback is its own loud outcome with its own exit code', async () => {
    const checklist = await ws.writeChecklist(
      checklistYaml(
        twoStepPhase('      - { id: bad, kind: probe, title: Bad, result: failed, on_fail: rollback }'),
        `  function_related:
    - { id: rb-drop, kind: probe, title: Drop the function, result: failed }
    - { id: rb-verify, kind: probe, title: Verify removal }
  data_corruption:
    - { id: rb-restore, kind: probe, title: Restore }`,
      ),
    );
    const result = await run(checklist);
    expect(result.status).toBe('rollback_failed');
    expect(result.error?.message).toMatch(/^failed to roll back: manual repair needed/);
    expect(exitCodeOf(result.error)).toBe(7);
    expect(probeCalls).toEqual(['bad', 'rb-drop']);
  });

  it('a missing connection variable is a usage error naming it, and nothing is written', async () => {
    const checklist = await ws.writeChecklist(checklistYaml(twoStepPhase('')));
    const result = await run(checklist, { env: {} });
    expect(result.error?.message).toBe('environment staging: the variable STAGING_URL is not set');
    expect(exitCodeOf(result.error)).toBe(ExitCode.usage);
    expect(await ws.files()).toEqual([]);
  });

  it('refuses a second run while a live lease is held, naming the holder (exit 4)', async () => {
    const checklist = await ws.writeChecklist(checklistYaml(twoStepPhase('')));
    await mkdir(join(ws.stateDir, 'leases'), { recursive: true });
    const lease = {
      holder: 'bob@elsewhere',
      host: 'elsewhere',
      pid: 4242,
      runId: 'r1',
      acquiredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    await writeFile(join(ws.stateDir, 'leases', 'engine-test.staging.json'), JSON.stringify(lease));
    const result = await run(checklist);
    expect(exitCodeOf(result.error)).toBe(ExitCode.lockHeld);
    expect(result.error?.message).toContain('is being run by bob@elsewhere (pid 4242, run r1)');
    expect(probeCalls).toEqual([]);
  });

  it('a second operator (another state dir) whose mutating step finds the advisory lock held: the run stops (exit 4) naming the holder, on_fail never runs, and it resumes later', async () => {
    const phase = twoStepPhase(
      '      - { id: write, kind: sql, title: Write, mutates: true, query: "select 1 as one from pg_sleep(1.5)", expect: { rows: [[1]] }, on_fail: rollback }',
    );
    const checklist = await ws.writeChecklist(checklistYaml(phase));
    const other = await workspace();
    try {
      const first = run(checklist, { stateDir: other.stateDir });
      // The first operator is inside its mutating step, holding the lock, when the second one gets there.
      await expect
        .poll(
          async () =>
            (
              await staging.db.query(
                "select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(1.5)%' and state = 'active' and pid <> pg_backend_pid()",
              )
            ).rows[0]!.n,
          { timeout: 10_000, interval: 20 },
        )
        .toBe(1);
      const second = await run(checklist);
      expect(exitCodeOf(second.error)).toBe(ExitCode.lockHeld);
      expect(second.error?.message).toMatch(
        /^step write \(Write\) did not start: another session holds the advisory lock "shipcheck.run:engine-test:staging" on this database: shipcheck run engine-test \(pid \d+, user \S+/,
      );
      expect(second.status).toBe('stopped');
      const events = await ws.events(second.runId!);
      expect(events.some((e) => e.type === 'step_started' && e.stepId === 'write')).toBe(false);
      expect(events.some((e) => e.type === 'rollback_started')).toBe(false);
      expect(events.at(-1)).toMatchObject({ type: 'run_stopped', reason: 'lock_held', stepId: 'write' });
      expect((await first).status).toBe('passed');

      const resumed = await run(checklist);
      expect(resumed.runId).toBe(second.runId);
      expect(resumed.status).toBe('passed');
    } finally {
      await other.remove();
    }
  });

  it('a stale lease needs --take-over, and the takeover is logged', async () => {
    const checklist = await ws.writeChecklist(checklistYaml(twoStepPhase('')));
    await mkdir(join(ws.stateDir, 'leases'), { recursive: true });
    const dead = {
      holder: 'bob@here',
      host: hostname(),
      pid: 2 ** 22 + 17,
      runId: 'r0',
      acquiredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    await writeFile(join(ws.stateDir, 'leases', 'engine-test.staging.json'), JSON.stringify(dead));
    const refused = await run(checklist);
    expect(refused.error?.message).toContain('has a stale lease of bob@here');
    expect(refused.error?.message).toContain('is not running');
    const taken = await run(checklist, { takeOver: true });
    expect(taken.status).toBe('passed');
    const events = await ws.events(taken.runId!);
    expect(events.find((e) => e.type === 'lease_taken_over')).toMatchObject({ previous: { holder: 'bob@here' } });
  });

  it('refuses to resume a run whose started steps were edited, unless changes are accepted', async () => {
    const phase = twoStepPhase('      - { id: po, kind: approval, title: Sign-off, role: Product Owner }');
    const first = await run(await ws.writeChecklist(checklistYaml(phase)));
    expect(first.status).toBe('awaiting_approval');
    const edited = await ws.writeChecklist(
      checklistYaml(phase.replace('select 1 as one', 'select 1 as uno').replace('rows: [[1]]', 'rows: [[1]]')),
    );
    const refused = await run(edited);
    expect(refused.error?.message).toContain(
      `the checklist changed since run ${first.runId} started: step(s) check-db were edited`,
    );
    const accepted = await run(edited, { acceptChanges: true });
    expect(accepted.runId).toBe(first.runId);
    expect(accepted.status).toBe('awaiting_approval');
  });
});

describe('approval', () => {
  const phase = twoStepPhase('      - { id: po, kind: approval, title: Product owner sign-off, role: Product Owner }');

  it('stops with exit 3, then continues after approve without repeating finished steps', async () => {
    const checklist = await ws.writeChecklist(checklistYaml(phase));
    const first = await run(checklist);
    expect(exitCodeOf(first.error)).toBe(ExitCode.awaitingApproval);
    expect(first.status).toBe('awaiting_approval');
    await recordApproval({
      stateDir: ws.stateDir,
      runId: first.runId!,
      by: 'Ana (PO)',
      decision: 'approved',
      note: 'looks good',
    });
    const second = await run(checklist);
    expect(second.runId).toBe(first.runId);
    expect(second.status).toBe('passed');
    const events = await ws.events(first.runId!);
    expect(events.filter((e) => e.type === 'step_started' && e.stepId === 'check-db')).toHaveLength(1);
    expect(events.find((e) => e.type === 'approval_recorded')).toMatchObject({
      by: 'Ana (PO)',
      decision: 'approved',
      note: 'looks good',
    });
  });

  it('rejected ends the run REJECTED', async () => {
    const checklist = await ws.writeChecklist(checklistYaml(phase));
    const first = await run(checklist);
    await recordApproval({
      stateDir: ws.stateDir,
      runId: first.runId!,
      by: 'Ana',
      decision: 'rejected',
      note: 'error rate too high',
    });
    const second = await run(checklist);
    expect(second.status).toBe('rejected');
    expect(second.error?.message).toContain('rejected by Ana: error rate too high');
    expect(probeCalls).not.toContain('after');
  });

  it('conditional waits for --conditions-met', async () => {
    const checklist = await ws.writeChecklist(checklistYaml(phase));
    const first = await run(checklist);
    await expect(
      recordApproval({ stateDir: ws.stateDir, runId: first.runId!, by: 'Ana', decision: 'conditional' }),
    ).rejects.toThrow(/needs --conditions/);
    await recordApproval({
      stateDir: ws.stateDir,
      runId: first.runId!,
      by: 'Ana',
      decision: 'conditional',
      conditions: 'alerts configured',
    });
    const second = await run(checklist);
    expect(second.status).toBe('awaiting_approval');
    expect(second.error?.message).toContain('conditions that are not met yet: alerts configured');
    await recordApproval({ stateDir: ws.stateDir, runId: first.runId!, by: 'Ana', conditionsMet: true });
    const third = await run(checklist);
    expect(third.status).toBe('passed');
  });
});

describe('gate step', () => {
  it('production refuses to start until the staging phase passed and the approval is recorded', async () => {
    const yaml = checklistYaml(
      twoStepPhase('      - { id: po, kind: approval, title: Sign-off, role: Product Owner }') + gatedProductionPhase(),
    );
    const checklist = await ws.writeChecklist(yaml);
    const closed = await run(checklist, { environment: 'production' });
    expect(closed.status).toBe('failed');
    expect(closed.error?.message).toContain(
      'gate closed: phase deploy (staging) passed (is: not_started); approval po approved (is: no decision)',
    );
    expect(probeCalls).toEqual([]);

    const staged = await run(checklist);
    await recordApproval({ stateDir: ws.stateDir, runId: staged.runId!, by: 'Ana', decision: 'approved' });
    expect((await run(checklist)).status).toBe('passed');
    const open = await run(checklist, { environment: 'production' });
    expect(open.error).toBeUndefined();
    expect(probeCalls).toContain('prod-probe');
  });
});
