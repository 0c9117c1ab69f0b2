import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { withDatabase } from '../../src/db/connectionString.js';
import { Database } from '../../src/db/database.js';
import { dropDatabase } from '../../src/db/scratchDatabases.js';
import { defaultChecklistFile, runDemo } from '../../src/demo/demo.js';
import type { DemoOptions, DemoResult } from '../../src/demo/types.js';
import { loadChecklist } from '../../src/checklist/loader.js';
import { createLineRenderer } from '../../src/engine/renderers/lines.js';
import { defaultRegistry } from '../../src/steps/registry.js';
import { adminUrl } from '../support/database.js';

/**
 * The demo on the suite's server, through a superuser role with a distinctive password
 * (so "the password appears nowhere" means something), 1 s windows and light load.
 */
let serverUrl: string;
let secretRole: string;
let secretPassword: string;
const token = `tok-${randomBytes(16).toString('hex')}`;
const temp: string[] = [];

beforeAll(async () => {
  secretRole = `sc_demo_${randomBytes(3).toString('hex')}`;
  secretPassword = `Pw-${randomBytes(9).toString('hex')}`;
  const admin = Database.connect(adminUrl(), { max: 1 });
  await admin.query(`create role ${secretRole} login superuser password '${secretPassword}'`);
  await admin.close();
  const url = new URL(adminUrl());
  url.username = secretRole;
  url.password = secretPassword;
  serverUrl = url.toString();
});
afterAll(async () => {
  for (const dir of temp) await rm(dir, { recursive: true, force: true });
  const admin = Database.connect(adminUrl(), { max: 1 });
  await admin.query(`drop role if exists ${secretRole}`).catch(() => {});
  await admin.close();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shipcheck-demo-test-'));
  temp.push(dir);
  return dir;
}

interface Captured {
  readonly result: DemoResult;
  readonly output: string;
}

async function demo(overrides: Partial<DemoOptions> = {}): Promise<Captured> {
  const lines: string[] = [];
  const write = (line: string) => lines.push(line);
  const result = await runDemo({
    serverUrl,
    stateDir: join(await tempDir(), 'state'),
    windowCapMs: 1000,
    loadRate: 10,
    shieldToken: token,
    decideApproval: async () => ({ by: 'Ana García (PO)', decision: 'approved' }),
    rendererFor: () => createLineRenderer(write),
    note: (n) => write(`» ${n.text}`),
    ...overrides,
  });
  return { result, output: lines.join('\n') };
}

function secretsOf(result: DemoResult): string[] {
  const urls = [result.databases.staging, result.databases.production]
    .filter(Boolean)
    .map((name) => withDatabase(serverUrl, name));
  return [secretPassword, encodeURIComponent(secretPassword), serverUrl, token, ...urls];
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function expectNoSecrets(texts: readonly string[], stateDir: string, secrets: readonly string[]): Promise<void> {
  const files = await filesUnder(stateDir);
  expect(files.length).toBeGreaterThanOrEqual(3); // at least the log, a backup and a report
  const contents = [...texts, ...(await Promise.all(files.map((f) => readFile(f, 'utf8'))))];
  for (const secret of secrets)
    for (const text of contents) expect(text.includes(secret), `a secret leaked`).toBe(false);
  for (const file of files) expect((await stat(file)).mode & 0o077, `${file} is private`).toBe(0);
}

async function cli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(['node', 'shipcheck', ...args], output, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// Most of a demo is waiting (monitor windows, load, backups): the demos of this file overlap.
describe.concurrent('shipcheck demo, the library function', () => {
  it('runs all five phases: 5/5 PASSED, every step in a report, gate closed before production and open after, no errors while switching writers, no secret anywhere', async () => {
    const { result, output } = await demo();
    expect(result.error, output).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'passed', exitCode: 0 });
    expect(result.runs.map((r) => [r.environment, r.status])).toEqual([
      ['staging', 'passed'],
      ['production', 'passed'],
    ]);
    expect(result.completion).toMatchObject({ completed: 5, runStatus: 'passed' });
    expect(result.completionText).toContain('100% (5/5 phases complete)');
    expect(result.gate.beforeProduction?.ok).toBe(false);
    expect(result.gate.atEnd?.ok).toBe(true);

    // Every step of the five phases is in one of the two reports, with its outcome.
    expect(result.reports.map((f) => f.slice(-3))).toEqual(['.md', 'tml', '.md', 'tml']);
    const reports = await Promise.all(result.reports.filter((f) => f.endsWith('.md')).map((f) => readFile(f, 'utf8')));
    expect(reports).toHaveLength(2);
    const checklist = await loadChecklist(defaultChecklistFile, defaultRegistry);
    for (const step of checklist.phases.flatMap((p) => p.steps)) expect(reports.join('\n')).toContain(step.id);
    expect(reports.join('\n')).toContain('window shortened to 1s');
    // The seed's Performance Benchmarking table, baseline (legacy writer) vs after (rpc), from Shield's /metrics.
    expect(reports[0]).toMatch(/\| Race condition events \| \d+ \| 0 \|/);
    // The HTML reports: a chart box for every monitor of the checklist, the benchmark tables, no outside request.
    const htmls = await Promise.all(result.reports.filter((f) => f.endsWith('.html')).map((f) => readFile(f, 'utf8')));
    const monitorIds = checklist.phases
      .flatMap((p) => p.steps)
      .filter((s) => s.kind === 'monitor')
      .map((s) => s.id);
    for (const id of monitorIds) expect(htmls.join('\n'), id).toContain(`id="charts-${id}"`);
    expect(htmls.join('\n')).toContain('Race condition events');
    for (const html of htmls) expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);

    // The notify steps reached the demo's webhook (their URL came through the run's env only),
    // and the merge went through the gh stand-in while the gate was open.
    expect(result.notifications).toHaveLength(3);
    const production = result.zeroDowntime.find((f) => f.environment === 'production');
    expect(production?.windows.map((w) => w.label)).toContain('writer legacy → rpc');
    expect(reports[1]).toContain('Squashed and merged pull request #654');

    for (const figures of result.zeroDowntime) {
      expect(figures.errors, `${figures.environment}: errors under load`).toBe(0);
      expect(figures.writerAtEnd).toBe('rpc');
      expect(figures.requests).toBeGreaterThan(20);
      const switchWindow = figures.windows.find((w) => w.label === 'writer legacy → rpc');
      expect(switchWindow).toMatchObject({ failed: 0 });
      expect(figures.byWriter.rpc.success).toBeGreaterThan(0);
      expect(figures.byWriter.legacy.success).toBeGreaterThan(0);
    }
    expect(result.databases.kept).toBe(false);
    await expectNoSecrets([output, JSON.stringify(result)], result.stateDir, secretsOf(result));

    // The CI check agrees with the demo's own reading of the gate.
    const gate = await cli(
      ['gate', defaultChecklistFile, '--env', 'production', '--require', 'deployed', '--state-dir', result.stateDir],
      {},
    );
    expect(gate.code, gate.err).toBe(0);
  });

  it('--break: the draft function loses updates, the concurrency test fails, the rollback drops it and verifies the removal; ROLLED BACK, exit 1, report written', async () => {
    const { result, output } = await demo({ breakStaging: true, keep: true });
    try {
      expect(result).toMatchObject({ outcome: 'rolled_back', exitCode: 1 });
      expect(result.runs).toHaveLength(1);
      expect(result.completionText).toContain('Phase 1: ROLLED BACK');
      expect(output).toMatch(/updates lost/);
      expect(output).toContain('✔ Verify removal');
      const report = await readFile(result.reports[0]!, 'utf8');
      expect(report).toContain('staging-concurrent-actions');
      expect(report).toContain('rollback-verify-removal');
      expect(result.gate.atEnd?.ok).toBe(false);
      // The app went back to the legacy writer before the function was dropped: no failed request.
      expect(result.zeroDowntime[0]).toMatchObject({ errors: 0, writerAtEnd: 'legacy' });

      const staging = Database.connect(withDatabase(adminUrl(), result.databases.staging), { max: 1 });
      try {
        const { rows } = await staging.query("select 1 from pg_proc where proname = 'atomic_update_user_behavior'");
        expect(rows).toHaveLength(0);
      } finally {
        await staging.close();
      }
      const gate = await cli(
        ['gate', defaultChecklistFile, '--env', 'production', '--require', 'deployed', '--state-dir', result.stateDir],
        {},
      );
      expect(gate.code).toBe(1);
      await expectNoSecrets([output], result.stateDir, secretsOf(result));

      // Its state dir now holds a run of the checklist: a second demo there would read it in its gates.
      const again = await cli(['demo', '--state-dir', result.stateDir, '--approve-as', 'Ana'], {
        DATABASE_URL: serverUrl,
        PATH: process.env.PATH,
      });
      expect(again.code).toBe(2);
      expect(again.err).toContain('already holds 1 run(s) of migration-024');
      expect(await readdir(join(result.stateDir, 'runs'))).toHaveLength(1);
    } finally {
      for (const name of [result.databases.staging, result.databases.production]) await dropDatabase(adminUrl(), name);
    }
  });
});

describe.concurrent('shipcheck demo, the command', () => {
  it('without a TTY and without --approve-as stops at the first approval with exit 3, keeps the databases and prints the commands that continue it', async () => {
    const stateDir = join(await tempDir(), 'state');
    // Phase 1 ends with a nested run of the Shield E2E suite (`npm run test:shield-e2e`, a vitest
    // run of its own: ~15 s of CPU). The first demo of this file runs it for real; this one is
    // about the stop at the approval after it, so an `npm` first on the runs' PATH says it passed.
    const bin = join(await tempDir(), 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'npm'), `#!/bin/sh\necho '{"success":true,"numFailedTests":0,"numTotalTests":12}'\n`, {
      mode: 0o755,
    });
    const env = { DATABASE_URL: serverUrl, PATH: `${bin}${delimiter}${process.env.PATH}`, HOME: process.env.HOME };
    const run = await cli(['demo', '--monitor-window', '1s', '--rate', '10', '--state-dir', stateDir], env);
    const databases = [...run.out.matchAll(/shipcheck_demo_[0-9a-f]+_(?:staging|production)/g)].map((m) => m[0]);
    try {
      expect(run.code, run.err).toBe(3);
      expect(run.out).toContain('WAITING FOR APPROVAL');
      const approve = /shipcheck approve (\S+) --by "YOUR NAME" --decision approved --state-dir (\S+)/.exec(run.out);
      expect(approve).not.toBeNull();
      expect(run.out).toContain(`shipcheck run checklists/migration-024.yaml --env staging --state-dir`);
      expect(run.out).toContain('STAGING_DATABASE_URL = DATABASE_URL with the database');
      for (const secret of [secretPassword, serverUrl]) expect(run.out + run.err).not.toContain(secret);

      // The printed commands do continue the run: phase 3 is only the approval.
      const stagingName = databases.find((d) => d.endsWith('_staging'))!;
      const stagingEnv = { ...env, STAGING_DATABASE_URL: withDatabase(serverUrl, stagingName) };
      const approved = await cli(
        ['approve', approve![1]!, '--by', 'Ana García (PO)', '--decision', 'approved', '--state-dir', stateDir],
        stagingEnv,
      );
      expect(approved.code, approved.err).toBe(0);
      const resumed = await cli(['run', defaultChecklistFile, '--env', 'staging', '--state-dir', stateDir], stagingEnv);
      expect(resumed.code, resumed.err).toBe(0);
      await expectNoSecrets([run.out, run.err, approved.out, resumed.out, resumed.err], stateDir, [
        secretPassword,
        serverUrl,
        stagingEnv.STAGING_DATABASE_URL,
      ]);
    } finally {
      for (const name of new Set(databases)) await dropDatabase(adminUrl(), name);
    }
  });

  it('refuses bad flags with exit 2 before creating anything', async () => {
    const stateDir = join(await tempDir(), 'state');
    const env = { DATABASE_URL: serverUrl, PATH: process.env.PATH };
    const badWindow = await cli(['demo', '--monitor-window', 'soon', '--state-dir', stateDir], env);
    expect(badWindow.code).toBe(2);
    expect(badWindow.err).toContain('--monitor-window must look like 500ms, 10s, 5m or 24h');
    const blankName = await cli(['demo', '--approve-as', '  ', '--state-dir', stateDir], env);
    expect(blankName.code).toBe(2);
    expect(blankName.err).toContain('--approve-as needs the name');
    const keepEmbedded = await cli(['demo', '--keep', '--state-dir', stateDir], { PATH: process.env.PATH });
    expect(keepEmbedded.code).toBe(2);
    expect(keepEmbedded.err).toContain('--keep needs DATABASE_URL');
    await expect(stat(stateDir)).rejects.toThrow(); // nothing written
  });
});
