import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConnection } from '../../../src/db/connectionString.js';
import { backupStep } from '../../../src/steps/backup.js';
import type { StepOutcome } from '../../../src/steps/types.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';
import { shipcheckIn } from '../cliInProcess.js';

const runId = '20261125-093000-staging-abcd';
const organizationId = '00000000-0000-0000-0000-000000000001';

describe('shipcheck restore RUN', () => {
  let harness: StepHarness;
  let stateDir: string;
  let backup: StepOutcome;
  const count = async () =>
    Number(
      (await harness.database.db.query<{ n: string }>('select count(*) as n from public.user_behaviors')).rows[0]!.n,
    );

  const cli = (args: string[], env: NodeJS.ProcessEnv = { DATABASE_URL: harness.database.url }) =>
    shipcheckIn(stateDir, args, env);

  /** A run directory as the engine writes it: the log, and the backup file at its evidence path. */
  async function writeRun(id: string, events: object[], withFile = true): Promise<void> {
    const dir = join(stateDir, 'runs', id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'events.jsonl'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`, { mode: 0o600 });
    if (withFile) {
      const path = backup.evidence![0]!.path;
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await copyFile(join(harness.runDir, path), join(dir, path));
    }
  }

  const at = new Date().toISOString();
  const runStarted = (id: string, target: string) => ({
    type: 'run_started',
    at,
    runId: id,
    checklist: 'migration-024',
    checklistFile: 'x.yaml',
    checklistHash: 'h',
    environment: 'staging',
    target,
    rehearse: false,
    phases: [],
    runPhases: [],
    metadata: {},
    holder: 'test',
  });
  const backupEvents = () => [
    {
      type: 'step_started',
      at,
      stepId: 'backup',
      phaseId: 'staging',
      kind: 'backup',
      title: 'Backup Created',
      hash: 'h',
      attempt: 1,
    },
    { type: 'step_finished', at, stepId: 'backup', status: 'passed', outcome: backup, durationMs: 10 },
  ];

  beforeAll(async () => {
    harness = await stepHarness();
    stateDir = await mkdtemp(join(tmpdir(), 'shipcheck-state-'));
    await harness.database.db.query("insert into public.organizations (id, name) values ($1, 'org')", [organizationId]);
    for (let i = 0; i < 4; i++) {
      await harness.database.db.query('select public.atomic_update_user_behavior($1, $2, $3, null, $4::jsonb)', [
        organizationId,
        'twitter',
        `u${i}`,
        JSON.stringify({ severity: 'low', toxicity_score: 0.2, comment_id: `c${i}`, action_tags: [] }),
      ]);
    }
    backup = await harness.run(backupStep, { tables: ['public.user_behaviors'] }, { step: { id: 'backup' } });
    expect(backup.status).toBe('passed');
    await writeRun(runId, [runStarted(runId, describeConnection(harness.database.url)), ...backupEvents()]);
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
    await harness.close();
  });

  it('without --yes says what it would replace and changes nothing (exit 2)', async () => {
    await harness.database.db.query("delete from public.user_behaviors where platform_user_id = 'u0'");
    const result = await cli(['restore', runId]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /restore would replace every row of public\.user_behaviors in 127\.0\.0\.1:\d+\/t_\w+ with the backup taken by step backup .*; add --yes to go ahead/,
    );
    expect(await count()).toBe(3);
  });

  it('with --yes restores the rows and says so; --json for machines', async () => {
    const result = await cli(['restore', runId, '--yes']);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('restored public.user_behaviors: 4 rows');
    expect(await count()).toBe(4);
    const json = await cli(['restore', runId, '--step', 'backup', '--yes', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({
      runId,
      step: 'backup',
      tables: [{ table: 'public.user_behaviors', rows: 4 }],
    });
  });

  it('clear errors: unknown run, unknown step, no backup, other target, no connection', async () => {
    expect((await cli(['restore', '20990101-000000-staging-ffff', '--yes'])).err).toMatch(
      /no run "20990101-000000-staging-ffff"/,
    );
    const step = await cli(['restore', runId, '--step', 'deploy', '--yes']);
    expect(step).toMatchObject({ code: 2 });
    expect(step.err).toMatch(/step "deploy" is not a backup step of run .* \(its backup steps: backup\)/);

    const bare = '20261125-094000-staging-0000';
    await writeRun(bare, [runStarted(bare, describeConnection(harness.database.url))], false);
    expect((await cli(['restore', bare, '--yes'])).err).toMatch(/recorded no finished backup; nothing to restore/);

    const elsewhere = '20261125-095000-production-1111';
    await writeRun(elsewhere, [runStarted(elsewhere, 'prod.example.com:5432/app'), ...backupEvents()]);
    const wrongTarget = await cli(['restore', elsewhere, '--yes']);
    expect(wrongTarget.code).toBe(2);
    expect(wrongTarget.err).toMatch(
      /backed up prod\.example\.com:5432\/app, but DATABASE_URL points to .*; refusing to restore/,
    );
    expect(wrongTarget.err).not.toContain(harness.database.url);

    expect((await cli(['restore', runId, '--yes'], {})).err).toMatch(/DATABASE_URL is not set/);
  });

  it('refuses a backup whose file no longer matches its checksum (exit 1), touching nothing', async () => {
    const tampered = '20261125-096000-staging-2222';
    await writeRun(tampered, [runStarted(tampered, describeConnection(harness.database.url)), ...backupEvents()]);
    const file = join(stateDir, 'runs', tampered, backup.evidence![0]!.path);
    await writeFile(file, (await readFile(file, 'utf8')).replace('u1', 'uX'));
    await harness.database.db.query("delete from public.user_behaviors where platform_user_id = 'u2'");
    const result = await cli(['restore', tampered, '--yes']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/does not match its recorded checksum; refusing to restore it/);
    expect(await count()).toBe(3);
  });

  it('has --help', async () => {
    const result = await cli(['restore', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain("restore the tables a run's backup step saved");
    expect(result.out).toContain('--yes');
  });
});
