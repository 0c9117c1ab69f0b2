import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadChecklist } from '../../../src/checklist/loader.js';
import { allSteps } from '../../../src/checklist/types.js';
import { main } from '../../../src/cli/main.js';
import { defaultRegistry } from '../../../src/steps/registry.js';

const file = fileURLToPath(new URL('../../../checklists/migration-025.yaml', import.meta.url));

describe('checklists/migration-025.yaml (the security fix)', () => {
  it("loads, with 024's five phases, the third a security sign-off and the fifth closing the issue", async () => {
    const checklist = await loadChecklist(file, defaultRegistry);
    expect(checklist.phases.map((p) => [p.id, p.environment])).toEqual([
      ['staging-deploy', 'staging'],
      ['staging-monitoring', 'staging'],
      ['security-approval', 'staging'],
      ['production-deploy', 'production'],
      ['close-issue', 'production'],
    ]);
  });

  it('deploys and verifies 025, checks the hardened contracts in both environments, and reverts 025 on rollback', async () => {
    const checklist = await loadChecklist(file, defaultRegistry);
    const steps = new Map(allSteps(checklist).map((s) => [s.id, s]));
    for (const id of ['staging-deploy-025', 'production-deploy-025']) {
      expect(steps.get(id)).toMatchObject({
        kind: 'migrate',
        onFail: 'rollback',
        spec: { migration: '025', verify: true },
      });
    }
    for (const environment of ['staging', 'production']) {
      expect(steps.get(`${environment}-definer-hardened`)).toMatchObject({
        kind: 'contract',
        spec: { security: 'definer' },
      });
      expect(steps.get(`${environment}-update-hardened`)).toMatchObject({ kind: 'contract', spec: { hardened: true } });
      expect(steps.get(`${environment}-strike-hardened`)).toMatchObject({ kind: 'contract', spec: { hardened: true } });
      expect(steps.get(`${environment}-advisor`)).toMatchObject({
        kind: 'sql',
        spec: { expect: { rows: [[0, 0, 0]] } },
      });
    }
    expect(steps.get('rollback-revert-025')).toMatchObject({ kind: 'rollback', spec: { revert_migration: '025' } });
  });

  it('says in its comments why it is shorter than 024 (no backup, 1 h of monitoring, no merge)', () => {
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/SHORTENED where a security fix justifies it/);
    expect(text).toMatch(/no backup: 025 writes no row/);
    expect(text).toMatch(/1 hour of staging monitoring instead of 24/);
    expect(text).toMatch(/Rolling back RE-OPENS the hole/);
  });

  it('is accepted by plan', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['node', 'shipcheck', 'plan', file, '--env', 'staging'],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      { STAGING_DATABASE_URL: 'postgres://unused@127.0.0.1:1/none', PATH: process.env.PATH },
    );
    expect(code, err.join('\n')).toBe(0);
    expect(out.join('\n')).toContain('apply migration 025');
    expect(out.join('\n')).toContain('hardened against search_path hijacks (the default for SECURITY DEFINER)');
  });
});
