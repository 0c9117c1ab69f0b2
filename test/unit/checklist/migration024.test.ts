import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadChecklist } from '../../../src/checklist/loader.js';
import { allSteps } from '../../../src/checklist/types.js';
import { backupStep } from '../../../src/steps/backup.js';
import { createRegistry, stepKinds } from '../../../src/steps/registry.js';

const file = fileURLToPath(new URL('../../../checklists/migration-024.yaml', import.meta.url));
// backup may not be in the registry yet while its module lands; the checklist needs it.
const registry = createRegistry(stepKinds.some((k) => k.kind === 'backup') ? stepKinds : [...stepKinds, backupStep]);

describe('checklists/migration-024.yaml', () => {
  it("loads, with the seed's five phases on the right environments", async () => {
    const checklist = await loadChecklist(file, registry);
    expect(checklist.phases.map((p) => [p.id, p.environment])).toEqual([
      ['staging-deploy', 'staging'],
      ['staging-monitoring', 'staging'],
      ['po-approval', 'staging'],
      ['production-deploy', 'production'],
      ['merge', 'production'],
    ]);
    expect(checklist.metadata.blockedPr).toBe('#654');
  });

  it('checks every Expected of the seed with a step of the right kind', async () => {
    const checklist = await loadChecklist(file, registry);
    const kinds = new Map(allSteps(checklist).map((s) => [s.id, s.kind]));
    expect(kinds.get('staging-backup')).toBe('backup');
    expect(kinds.get('staging-deploy-024')).toBe('migrate');
    expect(kinds.get('staging-verify-function')).toBe('sql');
    expect(kinds.get('staging-verify-permissions')).toBe('contract');
    expect(kinds.get('staging-manual-rpc-test')).toBe('rpc');
    expect(kinds.get('staging-concurrent-actions')).toBe('concurrency');
    expect(kinds.get('staging-verify-count')).toBe('command');
    expect(kinds.get('po-signoff')).toBe('approval');
    expect(kinds.get('production-gate')).toBe('gate');
    expect(kinds.get('rollback-drop-function')).toBe('rollback');
    expect(kinds.get('rollback-verify-removal')).toBe('sql');
    expect(kinds.get('rollback-restore-backup')).toBe('rollback');
    const monitors = allSteps(checklist).filter((s) => s.kind === 'monitor');
    expect(monitors.length).toBeGreaterThanOrEqual(4);
  });

  it("runs the seed's Shield E2E suite in staging: the npm script it calls names files that hold every 'Shield E2E' scenario", async () => {
    const checklist = await loadChecklist(file, registry);
    const step = allSteps(checklist).find((s) => s.id === 'staging-shield-e2e');
    expect(step).toMatchObject({ kind: 'command', onFail: 'stop' });
    expect(step?.spec).toMatchObject({ expect: { exit_code: 0, json: { '$.success': true, '$.numFailedTests': 0 } } });
    expect((step?.spec as { run: unknown } | undefined)?.run).toEqual([
      'npm',
      'run',
      '--silent',
      'test:shield-e2e',
      '--',
      '--reporter=json',
      '--silent',
    ]);
    const root = new URL('../../../', import.meta.url);
    const script = (
      JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }
    ).scripts['test:shield-e2e'];
    expect(script).toMatch(/ -t "Shield E2E"$/);
    const files = script!.split(' ').filter((word) => word.endsWith('.test.ts'));
    expect(files).toHaveLength(3);
    for (const test of files) {
      expect(existsSync(new URL(test, root)), test).toBe(true);
      expect(readFileSync(new URL(test, root), 'utf8')).toMatch(/describe\('Shield E2E: /);
    }
  });

  it('routes a data integrity failure to the data_corruption branch (restore, then drop) in each environment', async () => {
    const checklist = await loadChecklist(file, registry);
    const routed = allSteps(checklist).filter((s) => s.rollbackBranch === 'data_corruption');
    expect(routed.map((s) => [s.id, s.kind, s.onFail])).toEqual([
      ['staging-data-integrity', 'sql', 'rollback'],
      ['production-data-integrity', 'sql', 'rollback'],
    ]);
    expect(checklist.rollback.data_corruption.map((s) => s.id)[0]).toBe('rollback-restore-backup');
  });

  it("judges lock contention on user_behaviors only, and keeps the seed's rollback criteria through every staging window", async () => {
    const checklist = await loadChecklist(file, registry);
    const monitors = allSteps(checklist).filter((s) => s.kind === 'monitor');
    const criteria = (id: string) =>
      Object.keys((monitors.find((m) => m.id === id)!.spec as { criteria: object }).criteria);
    for (const m of monitors) expect(criteria(m.id), m.id).not.toContain('max_lock_waits');
    for (const id of ['staging-hour-one', 'staging-hours-two-to-four', 'staging-hours-five-to-24']) {
      expect(criteria(id), id).toEqual(
        expect.arrayContaining(['max_deadlocks', 'max_mean_exec_ms', 'max_failure_increase']),
      );
    }
  });
});
