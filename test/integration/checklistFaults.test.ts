import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChecklist } from '../../src/checklist/loader.js';
import { type RunResult, runChecklist } from '../../src/engine/runner.js';
import { resolveOrganization } from '../../src/shield/operator/testOrganization.js';
import { defaultRegistry } from '../../src/steps/registry.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { metadata024, revert024Steps, stagingChecklist } from './engineSupport.js';

// The two faults the seed's rollback decision tree is for, run with the real step kinds on a
// real database: a contract that does not hold (EXECUTE left to PUBLIC, as the original
// migration did) stops the run; corrupted data restores the backup, then drops the function.

const functionSignature = 'public.atomic_update_user_behavior(uuid, text, text, text, jsonb)';

function checklist(faultSteps: string): string {
  return stagingChecklist(
    'fault-test',
    `  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: backup, kind: backup, title: Backup user_behaviors, tables: [public.user_behaviors] }
      - { id: apply-024, kind: migrate, title: Apply migration 024, migration: "024" }
${faultSteps.replace(/^/gm, '      ')}
      - id: after-fault
        kind: sql
        title: Runs only if the run goes on
        query: select 1
        expect: { row_count: 1 }`,
    {
      metadata: metadata024,
      rollback: `  function_related:
${revert024Steps('Drop the RPC function')}
  data_corruption:
    - { id: restore, kind: rollback, title: Restore the backup, restore_backup: [backup] }
${revert024Steps('Drop the RPC function', '-after-restore')}`,
    },
  );
}

describe('checklist faults with the real step kinds', () => {
  let database: TestDatabase;
  let dir: string;
  let organizationId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipcheck-faults-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function freshTarget(): Promise<void> {
    database = await freshDatabase({ migrateTo: '006' });
    organizationId = (await resolveOrganization(database.db, { create: true })).id;
    await database.db.query(
      `insert into public.user_behaviors (organization_id, platform, platform_user_id, total_violations, severity_counts)
       select $1, 'twitter', 'offender_' || n, n, jsonb_build_object('low', n, 'medium', 0, 'high', 0, 'critical', 0)
       from generate_series(1, 40) as n`,
      [organizationId],
    );
  }

  async function run(name: string, faultSteps: string): Promise<RunResult> {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, checklist(faultSteps));
    const loaded = await loadChecklist(file, defaultRegistry);
    return runChecklist({
      checklist: loaded,
      environment: 'staging',
      stateDir: join(dir, name),
      env: { STAGING_URL: database.url },
    });
  }

  const statusOf = (result: RunResult, stepId: string) => result.results.find((r) => r.stepId === stepId)?.status;

  async function functionExists(): Promise<boolean> {
    const { rows } = await database.db.query<{ n: number }>(
      "select count(*)::int as n from pg_proc where proname = 'atomic_update_user_behavior'",
    );
    return rows[0]!.n > 0;
  }

  it('a contract that fails (EXECUTE left to PUBLIC) stops the run before the next step', async () => {
    await freshTarget();
    try {
      const result = await run(
        'public-execute',
        `- id: leave-execute-to-public
  kind: sql
  title: The original migration's mistake
  mutates: true
  query: grant execute on function ${functionSignature} to public
  expect: { row_count: 0 }
- id: contract
  kind: contract
  title: Verify permissions
  function: public.atomic_update_user_behavior
  arguments: [uuid, text, text, text, jsonb]
  returns: jsonb
  security: invoker
  search_path_pinned: true
  grants: { allowed: [authenticated, service_role], denied: [PUBLIC, anon] }`,
      );
      expect(result.status).toBe('failed');
      expect(statusOf(result, 'contract')).toBe('Error');
      expect(result.results.find((r) => r.stepId === 'contract')?.message).toMatch(/PUBLIC/);
      expect(statusOf(result, 'after-fault')).toBe('NotExecuted');
      // on_fail: stop leaves the target as it is for a human to look at.
      expect(await functionExists()).toBe(true);
    } finally {
      await database.drop();
    }
  });

  it('corrupted data restores the backup, then drops the function and verifies its removal', async () => {
    await freshTarget();
    try {
      const before = await database.db.query(
        'select platform_user_id, total_violations, severity_counts from public.user_behaviors order by 1',
      );
      const result = await run(
        'corruption',
        `- id: corrupt
  kind: sql
  title: A faulty writer zeroes the counts
  mutates: true
  query: update public.user_behaviors set total_violations = 0 where platform_user_id like 'offender_%' returning 1
  expect: { row_count: 40 }
- id: counts-intact
  kind: sql
  title: Violation counts intact
  query: select count(*)::int from public.user_behaviors where platform_user_id like 'offender_%' and total_violations = 0
  expect: { rows: [[0]] }
  rollback_branch: data_corruption
  on_fail: rollback`,
      );
      expect(result.status).toBe('rolled_back');
      expect(statusOf(result, 'after-fault')).toBe('NotExecuted');
      const after = await database.db.query(
        'select platform_user_id, total_violations, severity_counts from public.user_behaviors order by 1',
      );
      expect(after.rows).toEqual(before.rows);
      expect(await functionExists()).toBe(false);
    } finally {
      await database.drop();
    }
  });
});
