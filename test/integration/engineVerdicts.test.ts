import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { recordApproval } from '../../src/engine/approvals.js';
import { checkDeployed } from '../../src/engine/deployGate.js';
import { runChecklist } from '../../src/engine/runner.js';
import { ExitCode, ShipcheckError } from '../../src/errors.js';
import { probeCalls, testRegistry } from '../unit/engine/testKinds.js';
import { checklistYaml, engineFile, gatedProductionPhase, type Workspace } from './engineSupport.js';

/**
 * Verdicts a team can trust: an approval belongs to the run it was given in (never
 * reused from an earlier, rolled-back or rejected run, never read by a gate from a
 * run other than the one that holds the evidence), and a warned step is never a pass.
 */

const { env, ws } = engineFile({
  migrateTo: '006',
  production: true,
  env: { PATH: process.env.PATH ?? '' },
});

const exitCodeOf = (error: Error | undefined) => (error instanceof ShipcheckError ? error.exitCode : undefined);

type Checklist = Awaited<ReturnType<Workspace['writeChecklist']>>;
const run = (checklist: Checklist, more: Record<string, unknown> = {}) =>
  runChecklist({ checklist, environment: 'staging', stateDir: ws.stateDir, registry: testRegistry, env, ...more });

/** Staging: a deploy phase, a sign-off phase; `afterSignoff` is a step after the sign-off. */
const stagingPhases = (deployExtra = '', afterSignoff = '') => `  - id: deploy
    title: Staging deployment
    environment: staging
    steps:
      - { id: check-db, kind: sql, title: Database answers, query: "select 1 as one", expect: { rows: [[1]] } }
${deployExtra}
  - id: signoff
    title: Product owner approval
    environment: staging
    steps:
      - { id: po, kind: approval, title: Product owner sign-off, role: Product Owner }
${afterSignoff}`;

describe('an approval belongs to its run', () => {
  it("a new run never passes its sign-off with a rolled-back run's approval", async () => {
    const checklist = await ws.writeChecklist(
      checklistYaml(
        stagingPhases(
          '',
          '      - { id: breaks, kind: probe, title: Breaks after the sign-off, result: failed, on_fail: rollback }',
        ) + gatedProductionPhase(),
      ),
    );
    const first = await run(checklist);
    expect(first.status).toBe('awaiting_approval');
    await recordApproval({ stateDir: ws.stateDir, runId: first.runId!, by: 'Ana', decision: 'approved' });
    expect((await run(checklist)).status).toBe('rolled_back');
    // Nor does a gate read it.
    const gated = await run(checklist, { environment: 'production' });
    expect(gated.error?.message).toContain(
      `approval po approved (is: approved by Ana in run ${first.runId}, but given in run ${first.runId}, rolled back since)`,
    );
    expect(probeCalls).not.toContain('prod-probe');

    const second = await run(checklist);
    expect(second.runId).not.toBe(first.runId);
    expect(second.status).toBe('awaiting_approval');
    expect(exitCodeOf(second.error)).toBe(ExitCode.awaitingApproval);
    expect((second.error as ShipcheckError).detail).toContain(
      `run ${first.runId} had a decision for this step (approved by Ana`,
    );
    expect(probeCalls.filter((c) => c === 'breaks')).toHaveLength(1);
  });

  it('a rejection ends that run only: the next run waits for its own decision; reuse is an explicit approve', async () => {
    const checklist = await ws.writeChecklist(checklistYaml(stagingPhases()));
    const first = await run(checklist);
    await recordApproval({
      stateDir: ws.stateDir,
      runId: first.runId!,
      by: 'Ana',
      decision: 'rejected',
      note: 'error rate',
    });
    expect((await run(checklist)).status).toBe('rejected');

    const second = await run(checklist);
    expect(second.runId).not.toBe(first.runId);
    expect(second.status).toBe('awaiting_approval');
    // Reuse is explicit: approve on the new run, which shows the earlier decision as context.
    const out: string[] = [];
    const output: Output = { out: (l) => out.push(l), err: (l) => out.push(l) };
    const approve = [
      'node',
      'shipcheck',
      'approve',
      second.runId!,
      '--by',
      'Ana',
      '--decision',
      'approved',
      '--state-dir',
      ws.stateDir,
    ];
    expect(await main(approve, output, env)).toBe(0);
    expect(out[0]).toMatch(
      new RegExp(
        `^earlier decision for po: rejected by Ana at \\S+ in run ${first.runId} \\(REJECTED\\); it is not carried over$`,
      ),
    );
    expect(out[1]).toBe(`recorded for po in run ${second.runId}: approved by Ana`);
    expect((await run(checklist)).status).toBe('passed');
    const approval = (await ws.events(second.runId!)).find((e) => e.type === 'approval_recorded');
    expect(approval).toMatchObject({
      runId: second.runId,
      checklistHash: checklist.fileHash,
      phases: { deploy: 'passed', signoff: 'in_progress' },
    });
    out.length = 0;
    expect(
      await main(
        ['node', 'shipcheck', 'report', second.runId!, '--format', 'md', '--state-dir', ws.stateDir],
        output,
        env,
      ),
    ).toBe(0);
    expect(out.join('\n')).toContain(
      `approved: deploy PASSED, signoff IN PROGRESS, checklist sha256 ${checklist.fileHash.slice(0, 12)}…`,
    );
  });

  it("a gate reads the approval from the run that passed the phases it requires, never an older run's", async () => {
    const checklist = await ws.writeChecklist(checklistYaml(stagingPhases() + gatedProductionPhase()));
    const first = await run(checklist);
    await recordApproval({ stateDir: ws.stateDir, runId: first.runId!, by: 'Ana', decision: 'approved' });
    expect((await run(checklist)).status).toBe('passed');
    // A new staging run redeploys and waits for its sign-off: its evidence is not yet approved.
    const second = await run(checklist);
    expect(second.status).toBe('awaiting_approval');

    const closed = await run(checklist, { environment: 'production' });
    expect(closed.status).toBe('failed');
    expect(closed.error?.message).toContain(`approval po approved (is: no decision in run ${second.runId}`);
    expect(closed.error?.message).toContain(`run ${first.runId}'s decision (approved by Ana) is not reused`);
    expect(probeCalls).not.toContain('prod-probe');

    await recordApproval({ stateDir: ws.stateDir, runId: second.runId!, by: 'Ana', decision: 'approved' });
    expect((await run(checklist)).status).toBe('passed');
    const open = await run(checklist, { environment: 'production' });
    expect(open.error).toBeUndefined();
    expect(open.results[0]!.outcome?.observed).toMatchObject({
      checks: [{ met: true }, { met: true, runId: second.runId }],
    });
  });

  it('a checklist edited after the approval: the gate says so and stays closed', async () => {
    const yaml = checklistYaml(stagingPhases() + gatedProductionPhase());
    const checklist = await ws.writeChecklist(yaml);
    const first = await run(checklist);
    await recordApproval({ stateDir: ws.stateDir, runId: first.runId!, by: 'Ana', decision: 'approved' });
    expect((await run(checklist)).status).toBe('passed');

    await writeFile(join(ws.dir, 'checklist.yaml'), `${yaml}# edited after the sign-off\n`);
    const edited = await ws.writeChecklist(`${yaml}# edited after the sign-off\n`);
    const closed = await run(edited, { environment: 'production' });
    expect(closed.status).toBe('failed');
    expect(closed.error?.message).toContain(`the checklist changed since the approval in run ${first.runId}`);
    expect(probeCalls).not.toContain('prod-probe');
  });
});

describe('a warned step is not a pass', () => {
  const warnStep = '      - { id: flaky, kind: probe, title: Flaky, result: failed, on_fail: warn }';

  it('the run and its phase end PASSED WITH WARNINGS, naming the warned step', async () => {
    const checklist = await ws.writeChecklist(checklistYaml(stagingPhases(warnStep).split('\n  - id: signoff')[0]!));
    const result = await run(checklist);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('passed_with_warnings');
    const finished = (await ws.events(result.runId!)).find((e) => e.type === 'run_finished');
    expect(finished).toMatchObject({ message: expect.stringContaining('1 step(s) failed under on_fail: warn: flaky') });
  });

  it('status names the warned step; the CLI exits 8', async () => {
    const file = join(ws.dir, 'checklist.yaml');
    const out: string[] = [];
    const output: Output = { out: (l) => out.push(l), err: (l) => out.push(l) };
    // The CLI's registry has no probe kind: a failing sql step stands in for it.
    const cliYaml = checklistYaml(
      stagingPhases(
        '      - { id: flaky, kind: sql, title: Flaky, query: "select 2 as two", expect: { rows: [[3]] }, on_fail: warn }',
      ).split('\n  - id: signoff')[0]!,
      `  function_related: [{ id: rb, kind: sql, title: Nothing, query: "select 1 as one", expect: { row_count: 1 } }]
  data_corruption: [{ id: rb2, kind: sql, title: Nothing, query: "select 1 as one", expect: { row_count: 1 } }]`,
    );
    await writeFile(file, cliYaml);
    const code = await main(
      ['node', 'shipcheck', 'run', file, '--env', 'staging', '--state-dir', ws.stateDir],
      output,
      env,
    );
    expect(code, out.join('\n')).toBe(ExitCode.passedWithWarnings);
    expect(out.join('\n')).toContain('PASSED WITH WARNINGS');
    out.length = 0;
    expect(await main(['node', 'shipcheck', 'status', '--state-dir', ws.stateDir], output, env)).toBe(0);
    const status = out.join('\n');
    expect(status).toContain('- Phase 1: PASSED WITH WARNINGS - Staging deployment (staging)');
    expect(status).toContain('**Failed or Warned Steps:**');
    expect(status).toContain('- WARNED: flaky (Flaky, deploy) - row 1: two is 2, expected 3');
    out.length = 0;
    await main(['node', 'shipcheck', 'status', '--json', '--state-dir', ws.stateDir], output, env);
    expect(JSON.parse(out.join('\n'))[0]).toMatchObject({
      runStatus: 'passed_with_warnings',
      attention: [{ stepId: 'flaky', status: 'warned' }],
    });
    // --json: a machine reading the finishing events never sees "passed".
    out.length = 0;
    expect(
      await main(
        ['node', 'shipcheck', 'run', file, '--env', 'staging', '--json', '--state-dir', ws.stateDir],
        output,
        env,
      ),
    ).toBe(ExitCode.passedWithWarnings);
    const events = out.map((l) => JSON.parse(l) as { type: string; status?: string });
    expect(events.filter((e) => e.type === 'phase_finished' || e.type === 'run_finished').map((e) => e.status)).toEqual(
      ['passed_with_warnings', 'passed_with_warnings'],
    );
  });

  it('a gate requiring status passed stays closed for a warned phase, unless allow_warnings', async () => {
    const yaml = checklistYaml(stagingPhases(warnStep) + gatedProductionPhase());
    const checklist = await ws.writeChecklist(yaml);
    const first = await run(checklist);
    await recordApproval({ stateDir: ws.stateDir, runId: first.runId!, by: 'Ana', decision: 'approved' });
    expect((await run(checklist)).status).toBe('passed_with_warnings');

    const closed = await run(checklist, { environment: 'production' });
    expect(closed.status).toBe('failed');
    expect(closed.error?.message).toContain('phase deploy (staging) passed (is: passed_with_warnings)');
    expect(probeCalls).not.toContain('prod-probe');

    const allowing = await ws.writeChecklist(
      checklistYaml(
        stagingPhases(warnStep) +
          gatedProductionPhase('{ environment: staging, phase: deploy, status: passed, allow_warnings: true }'),
      ),
      'allowing.yaml',
    );
    // Another file: its hash differs from the approved one, so the approval must be for it.
    const again = await run(allowing);
    await recordApproval({ stateDir: ws.stateDir, runId: again.runId!, by: 'Ana', decision: 'approved' });
    expect((await run(allowing)).status).toBe('passed_with_warnings');
    const open = await run(allowing, { environment: 'production' });
    expect(open.error).toBeUndefined();
    expect(probeCalls).toContain('prod-probe');
  });

  it('gate --require deployed stays closed while a deploy phase has a warned step (unless --allow-warnings)', async () => {
    const checklist = await ws.writeChecklist(`version: 1
name: deployed-test
environments:
  production: { connection_env: PRODUCTION_URL }
phases:
  - id: production-deploy
    title: Production deployment
    environment: production
    steps:
      - { id: prod-deploy, kind: migrate, title: Deploy migration 024, migration: "024" }
      - id: prod-contract
        kind: contract
        title: Verify permissions
        function: public.atomic_update_user_behavior
        grants: { allowed: [authenticated, service_role], denied: [PUBLIC, anon] }
      - { id: flaky, kind: sql, title: Flaky, query: "select 2 as two", expect: { rows: [[3]] }, on_fail: warn }
rollback:
  function_related:
    - { id: drop-function, kind: rollback, title: Drop the function, revert_migration: "024" }
  data_corruption:
    - { id: drop-function-2, kind: rollback, title: Drop the function, revert_migration: "024" }
`);
    const deployed = await runChecklist({ checklist, environment: 'production', stateDir: ws.stateDir, env });
    expect(deployed.status).toBe('passed_with_warnings');
    const gate = await checkDeployed({ checklist, environment: 'production', stateDir: ws.stateDir });
    expect(gate.ok).toBe(false);
    expect(gate.checks.find((c) => !c.met)).toMatchObject({
      requirement: 'phase production-deploy has no warned step',
      observed: expect.stringContaining('flaky failed under on_fail: warn'),
    });
    expect(
      (await checkDeployed({ checklist, environment: 'production', stateDir: ws.stateDir, allowWarnings: true })).ok,
    ).toBe(true);
  });
});
