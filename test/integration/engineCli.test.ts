import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../../src/db/connectionString.js';
import { Database } from '../../src/db/database.js';
import { adminUrl } from '../support/database.js';
import { shipcheckIn } from './cliInProcess.js';
import {
  engineFile,
  grants024Step,
  metadata024,
  production024Phase,
  revert024Steps,
  stagingChecklist,
} from './engineSupport.js';

/** The real kinds end to end: migration 024 applied, verified, called, and dropped by the rollback kind. */
const realChecklist = stagingChecklist(
  'cli-test',
  `  - id: staging-deploy
    title: Staging deployment
    environment: staging
    steps:
      - { id: deploy, kind: migrate, title: Deploy migration 024, migration: "024", verify: true }
      - id: verify-function
        kind: sql
        title: Verify function exists
        query: select proname::text, pronargs::int, prorettype::regtype::text from pg_proc where proname = 'atomic_update_user_behavior'
        expect: { rows: [[atomic_update_user_behavior, 5, jsonb]] }
${grants024Step('verify-permissions', 'Verify permissions')}
${production024Phase}`,
  {
    metadata: metadata024,
    production: true,
    rollback: `  function_related:
${revert024Steps('Drop the function')}
  data_corruption:
    - { id: drop-function-2, kind: rollback, title: Drop the function, revert_migration: "024" }`,
  },
);

let secretRole: string;
let secretPassword: string;
let env: NodeJS.ProcessEnv;

// Registered before engineFile()'s hooks, so the role goes after the databases it ran migrations in.
beforeAll(async () => {
  // A role with a distinctive password, so "the password appears nowhere" is a meaningful check.
  secretRole = `sc_secret_${randomBytes(3).toString('hex')}`;
  secretPassword = `Pw-${randomBytes(9).toString('hex')}`;
  const admin = Database.connect(adminUrl(), { max: 1 });
  await admin.query(`create role ${secretRole} login superuser password '${secretPassword}'`);
  await admin.close();
});
afterAll(async () => {
  const admin = Database.connect(adminUrl(), { max: 1 });
  await admin.query(`drop role if exists ${secretRole}`).catch(() => {});
  await admin.close();
});

const { staging, production, ws } = engineFile({ migrateTo: '006', production: true });

beforeAll(() => {
  const withRole = (url: string) => {
    const u = new URL(url);
    u.username = secretRole;
    u.password = secretPassword;
    return u.toString();
  };
  env = {
    STAGING_URL: withRole(staging.url),
    PRODUCTION_URL: withRole(withDatabase(production.url, production.name)),
    PATH: process.env.PATH,
  };
});

const cli = (...args: string[]) => shipcheckIn(ws.stateDir, args, env);

async function functionExists(db: Database): Promise<boolean> {
  const { rows } = await db.query("select 1 from pg_proc where proname = 'atomic_update_user_behavior'");
  return rows.length > 0;
}

describe('shipcheck run/status/report/gate/rollback', () => {
  it('rehearse applies, verifies and rolls back inside one transaction: the target is unchanged', async () => {
    await ws.writeChecklist(realChecklist);
    const file = `${ws.dir}/checklist.yaml`;
    const { code, out } = await cli('run', file, '--env', 'staging', '--rehearse');
    expect(code, out).toBe(0);
    expect(out).toContain('REHEARSAL');
    expect(out).toMatch(/✔ Deploy migration 024/);
    expect(out).toMatch(/✔ Drop the function/);
    expect(out).toContain('rehearsal passed; the rehearsal transaction was rolled back; the target is unchanged');
    expect(await functionExists(staging.db)).toBe(false);
    const { rows } = await staging.db.query("select id from shipcheck.migrations where id = '024'");
    expect(rows).toEqual([]);
  });

  it('plan shows the SQL and changes nothing', async () => {
    await ws.writeChecklist(realChecklist);
    const { code, out } = await cli('plan', `${ws.dir}/checklist.yaml`, '--env', 'staging');
    expect(code).toBe(0);
    expect(out).toContain('run would start a new run');
    expect(out).toContain('| select proname::text, pronargs::int');
    expect(out).toContain('== rollback: function_related ==');
    expect((await ws.files()).length).toBe(0);
  });

  it('runs staging for real, then status, report md/json, gate and rollback — no secret anywhere', async () => {
    await ws.writeChecklist(realChecklist);
    const file = `${ws.dir}/checklist.yaml`;
    const outputs: string[] = [];

    const gateBefore = await cli('gate', file, '--env', 'production', '--require', 'deployed');
    outputs.push(gateBefore.out, gateBefore.err);
    expect(gateBefore.code).toBe(1);
    expect(gateBefore.err).toContain('gate closed');

    const staged = await cli('run', file, '--env', 'staging', '--json');
    outputs.push(staged.out, staged.err);
    expect(staged.code, staged.err).toBe(0);
    const events = staged.out.split('\n').map((l) => JSON.parse(l) as { type: string; runId?: string });
    const runId = events[0]!.runId!;
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'passed' });
    expect(await functionExists(staging.db)).toBe(true);

    const status = await cli('status', runId);
    outputs.push(status.out);
    expect(status.out).toContain('## Completion Status');
    expect(status.out).toContain('**Current Phase:** Phase 2 (Production deployment) - NOT STARTED');
    expect(status.out).toContain('**Overall Progress:** 50% (1/2 phases complete)');
    expect(status.out).toContain('- Phase 1: PASSED - Staging deployment (staging)');
    expect(status.out).toContain('- Phase 2: NOT STARTED - Production deployment (production)');

    const md = await cli('report', runId, '--format', 'md');
    outputs.push(md.out);
    expect(md.out).toContain('### Verify function exists (`verify-function`, sql)');
    expect(md.out).toContain('- **Expected:** ');
    const json = await cli('report', runId, '--format', 'json');
    outputs.push(json.out);
    const report = JSON.parse(json.out) as { steps: { id: string; status: string }[]; run: { status: string } };
    expect(report.run.status).toBe('passed');
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['deploy', 'Success'],
      ['verify-function', 'Success'],
      ['verify-permissions', 'Success'],
    ]);

    const prod = await cli('run', file, '--env', 'production');
    outputs.push(prod.out, prod.err);
    expect(prod.code, prod.err).toBe(0);
    const gateOpen = await cli('gate', file, '--env', 'production', '--require', 'deployed', '--live');
    outputs.push(gateOpen.out, gateOpen.err);
    expect(gateOpen.code, gateOpen.err).toBe(0);
    expect(gateOpen.out).toContain('gate open');

    // Someone drops the function by hand: the live gate sees it.
    await production.db.query('drop function public.atomic_update_user_behavior(uuid, text, text, text, jsonb)');
    const gateLive = await cli('gate', file, '--env', 'production', '--require', 'deployed', '--live');
    expect(gateLive.code).toBe(1);
    expect(gateLive.out).toContain('missing: public.atomic_update_user_behavior');

    const rolled = await cli('rollback', runId);
    outputs.push(rolled.out, rolled.err);
    expect(rolled.code, rolled.err).toBe(0);
    expect(rolled.out).toContain('rollback rolled back');
    expect(await functionExists(staging.db)).toBe(false);
    const after = await cli('status', runId, '--json');
    expect(JSON.parse(after.out)).toMatchObject({ runStatus: 'rolled_back' });

    const everything = [...outputs, ...(await ws.files()).map((f) => f.content)].join('\n');
    expect(everything).not.toContain(secretPassword);
    expect(everything).not.toContain(env.STAGING_URL!);
    expect(everything).not.toContain(encodeURIComponent(secretPassword));
  });

  it('approve from the CLI: exit 3, then approved continues', async () => {
    const withApproval = realChecklist.replace(
      '      - { id: deploy, kind: migrate, title: Deploy migration 024, migration: "024", verify: true }\n',
      '      - { id: po, kind: approval, title: Product owner sign-off, role: Product Owner }\n',
    );
    await ws.writeChecklist(withApproval);
    const file = `${ws.dir}/checklist.yaml`;
    const waiting = await cli('run', file, '--env', 'staging');
    expect(waiting.code).toBe(3);
    expect(waiting.err).toContain("waiting for the Product Owner's approval");
    const runId = /run (\S+):/.exec(waiting.out)![1]!;
    const status = await cli('status', runId);
    expect(status.out).toContain('**Pending Approval:** po');
    const bad = await cli('approve', runId, '--by', 'Ana', '--decision', 'maybe');
    expect(bad.code).toBe(2);
    const eventsBefore = await ws.files();
    const notApproval = await cli(
      'approve',
      runId,
      '--by',
      'Ana',
      '--decision',
      'approved',
      '--step',
      'verify-function',
    );
    expect(notApproval.code).toBe(2);
    expect(notApproval.err).toContain('--step verify-function is a sql step, not an approval step');
    expect(notApproval.err).toContain('approval steps of this run: po');
    const unknown = await cli('approve', runId, '--by', 'Ana', '--decision', 'approved', '--step', 'prod-contract');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('is not a step of run');
    expect(await ws.files()).toEqual(eventsBefore);
    const approved = await cli('approve', runId, '--by', 'Ana', '--decision', 'approved');
    expect(approved.code).toBe(0);
    // The function is not deployed by this checklist variant, so verify-function fails: the run continued past po.
    const next = await cli('run', file, '--env', 'staging');
    expect(next.out).toContain('✔ Product owner sign-off — approved by Ana');
    expect(next.code).toBe(1);
  });

  it('a malformed checklist exits 2 with file:line and runs nothing', async () => {
    await ws.writeChecklist(realChecklist).catch(() => {});
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${ws.dir}/bad.yaml`, realChecklist.replace('kind: contract', 'kind: contrct'));
    const { code, err } = await cli('run', `${ws.dir}/bad.yaml`, '--env', 'staging');
    expect(code).toBe(2);
    expect(err).toMatch(/bad\.yaml:19:15 {2}phases\[0\]\.steps\[2\]\.kind: unknown kind "contrct" \(valid kinds: /);
    expect(await ws.files()).toEqual([]);
  });
});
