import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { encodeLine, genesisHash, hashLine } from '../../src/engine/logLine.js';
import { ExitCode } from '../../src/errors.js';
import { shipcheckIn } from './cliInProcess.js';
import { engineFile, grants024Step, production024Phase, stagingChecklist } from './engineSupport.js';

// The run log's guarantees seen from the CLI: a crash's torn line survives a resume, an
// edited log is refused naming the event, a hand-written log does not open the gate.

const checklist = stagingChecklist(
  'log-test',
  `  - id: staging-deploy
    title: Staging deployment
    environment: staging
    steps:
      - { id: deploy, kind: migrate, title: Deploy migration 024, migration: "024" }
${grants024Step('verify-permissions', 'Verify permissions')}
      - { id: po, kind: approval, title: Product owner sign-off, role: Product Owner }
${production024Phase}`,
  {
    production: true,
    rollback: `  function_related:
    - { id: drop-function, kind: rollback, title: Drop the function, revert_migration: "024" }
  data_corruption:
    - { id: drop-function-2, kind: rollback, title: Drop the function, revert_migration: "024" }`,
  },
);

const key = 'a-signing-key-for-the-tests-0123456789';
const { staging, ws } = engineFile({ migrateTo: '006' });
let file: string;

beforeEach(async () => {
  await ws.writeChecklist(checklist);
  file = join(ws.dir, 'checklist.yaml');
});

const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  shipcheckIn(ws.stateDir, args, { STAGING_URL: staging.url, PATH: process.env.PATH, ...env });

async function onlyRun(): Promise<{ runId: string; dir: string; log: string }> {
  const [runId] = await readdir(join(ws.stateDir, 'runs'));
  const dir = join(ws.stateDir, 'runs', runId!);
  return { runId: runId!, dir, log: join(dir, 'events.jsonl') };
}

describe('the run log from the CLI', () => {
  it('a torn last line (crash mid-write) is cut off on resume: the run passes and status, report and gate work after', async () => {
    const env = { SHIPCHECK_LOG_KEY: key };
    expect((await cli(env, 'run', file, '--env', 'staging')).code).toBe(ExitCode.awaitingApproval);
    const { runId, dir, log } = await onlyRun();
    expect((await cli(env, 'approve', runId, '--by', 'Ana (PO)', '--decision', 'approved')).code).toBe(0);
    const sizeBefore = (await stat(log)).size;
    await appendFile(log, '{"type":"step_progress","mess');

    const resumed = await cli(env, 'resume', runId);
    expect(resumed.code, resumed.err).toBe(0);
    const events = await ws.events(runId);
    expect(events.filter((e) => e.type === 'log_repaired')).toMatchObject([{ offset: sizeBefore, bytes: 29 }]);
    const side = join(dir, `events.jsonl.torn-at-${sizeBefore}`);
    expect(await readFile(side, 'utf8')).toBe('{"type":"step_progress","mess');
    expect((await stat(side)).mode & 0o777).toBe(0o600);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'passed' });

    expect((await cli(env, 'status', runId)).code).toBe(0);
    const report = await cli(env, 'report', runId, '--format', 'json');
    expect(report.code).toBe(0);
    expect(JSON.parse(report.out).run.log).toMatchObject({
      unchainedEvents: 0,
      signature: 'verified',
      repairs: [{ offset: sizeBefore, bytes: 29 }],
    });
    const md = await cli(env, 'report', runId);
    expect(md.out).toMatch(
      /- \*\*Run log:\*\* \d+ events, hash chain intact; every event signed and verified with SHIPCHECK_LOG_KEY; a torn line of 29 bytes cut off/,
    );
    const gate = await cli(env, 'gate', file, '--env', 'staging', '--require', 'deployed');
    expect(gate.code, gate.err).toBe(0);
    expect(gate.out).toContain('the run logs (1) verify: hash chain intact, every event signed with SHIPCHECK_LOG_KEY');

    // The same log read with another key (a log written by someone else): the gate stays closed.
    const otherKey = await cli(
      { SHIPCHECK_LOG_KEY: 'not-the-key-that-signed-it' },
      'gate',
      file,
      '--env',
      'staging',
      '--require',
      'deployed',
    );
    expect(otherKey.code).toBe(ExitCode.checkFailed);
    expect(otherKey.out).toContain("log verifies: event 1's signature does not verify with SHIPCHECK_LOG_KEY");
    // Without a key the gate opens on the chain alone and says the logs were not checked.
    const noKey = await cli({}, 'gate', file, '--env', 'staging', '--require', 'deployed');
    expect(noKey.code).toBe(0);
    expect(noKey.out).toContain('SHIPCHECK_LOG_KEY is not set here to check the signatures');
  });

  it('an edited middle event: status, report and gate refuse the log with exit 9, naming the event', async () => {
    expect((await cli({}, 'run', file, '--env', 'staging')).code).toBe(ExitCode.awaitingApproval);
    const { runId, log } = await onlyRun();
    const lines = (await readFile(log, 'utf8')).trimEnd().split('\n');
    const index = lines.findIndex((l) => l.includes('"type":"step_finished"'));
    lines[index] = lines[index]!.replace('"durationMs":', '"durationMs":1');
    await writeFile(log, `${lines.join('\n')}\n`);

    for (const args of [
      ['status', runId],
      ['report', runId],
      ['gate', file, '--env', 'staging', '--require', 'deployed'],
      ['approve', runId, '--by', 'x', '--decision', 'approved'],
    ]) {
      const result = await cli({}, ...args);
      expect(result.code, args[0]).toBe(ExitCode.damagedRun);
      expect(result.err).toContain(`the hash chain breaks after event ${index + 1} (step_finished at`);
      expect(result.err).toContain(`so event ${index + 1} was changed`);
    }
  });

  it('an unknown event type or a step_finished without outcome is exit 9, never 70 and never a pass', async () => {
    expect((await cli({}, 'run', file, '--env', 'staging')).code).toBe(ExitCode.awaitingApproval);
    const { runId, log } = await onlyRun();
    const text = await readFile(log, 'utf8');
    const last = Buffer.from(text.trimEnd().split('\n').at(-1)!);
    await appendFile(
      log,
      `${JSON.stringify({ v: 2, prev: hashLine(last), type: 'step_finished', at: new Date().toISOString(), stepId: 'po', status: 'passed', durationMs: 1 })}\n`,
    );
    for (const args of [
      ['status', runId],
      ['resume', runId],
      ['gate', file, '--env', 'staging', '--require', 'deployed'],
    ]) {
      const result = await cli({}, ...args);
      expect(result.code, args[0]).toBe(ExitCode.damagedRun);
      expect(result.err).toContain(
        'is not a valid event: step_finished: outcome: a passed step_finished needs its outcome',
      );
    }
  });
});

describe('a hand-written production log', () => {
  const at = '2026-01-10T10:00:00.000Z';
  const forged: RunEvent[] = [
    {
      type: 'run_started',
      at,
      runId: '20260110-100000-production-f0f0',
      checklist: 'log-test',
      checklistFile: '/nowhere.yaml',
      checklistHash: 'x',
      environment: 'production',
      target: 'db.example:5432/app',
      rehearse: false,
      phases: [{ id: 'production-deploy', title: 'Production deployment', environment: 'production' }],
      runPhases: ['production-deploy'],
      metadata: {},
      holder: 'mallory@ci',
    },
    { type: 'phase_started', at, phaseId: 'production-deploy' },
    {
      type: 'step_started',
      at,
      stepId: 'prod-deploy',
      phaseId: 'production-deploy',
      kind: 'migrate',
      title: 'Deploy',
      hash: 'h1',
      attempt: 1,
    },
    {
      type: 'step_finished',
      at,
      stepId: 'prod-deploy',
      status: 'passed',
      durationMs: 1,
      outcome: { status: 'passed', expected: 'applied', observed: {}, message: 'applied' },
    },
    {
      type: 'step_started',
      at,
      stepId: 'prod-contract',
      phaseId: 'production-deploy',
      kind: 'contract',
      title: 'Verify',
      hash: 'h2',
      attempt: 1,
    },
    { type: 'step_progress', at, stepId: 'prod-contract', message: 'checking' },
    {
      type: 'step_finished',
      at,
      stepId: 'prod-contract',
      status: 'passed',
      durationMs: 1,
      outcome: { status: 'passed', expected: 'grants', observed: {}, message: 'ok' },
    },
    { type: 'phase_finished', at, phaseId: 'production-deploy', status: 'passed' },
    { type: 'run_finished', at, status: 'passed', message: 'every step passed' },
  ];
  const writeLog = async (text: string) => {
    const dir = join(ws.stateDir, 'runs', '20260110-100000-production-f0f0');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'events.jsonl'), text);
  };

  it('in the format before the chain (nine bare JSON lines) no longer opens the gate', async () => {
    await writeLog(`${forged.map((e) => JSON.stringify(e)).join('\n')}\n`);
    expect(forged).toHaveLength(9);
    const gate = await cli({}, 'gate', file, '--env', 'production', '--require', 'deployed');
    expect(gate.code).toBe(ExitCode.checkFailed);
    expect(gate.out).toContain(
      "✖ run 20260110-100000-production-f0f0's log verifies: its first 9 event(s) have no hash chain",
    );
    expect(gate.err).toContain('gate closed');
    // Still readable: status shows it, for what it is.
    expect((await cli({}, 'status', '20260110-100000-production-f0f0')).code).toBe(0);
  });

  it('chained by hand: the gate opens only without a key, saying the log is unsigned; with SHIPCHECK_LOG_KEY it stays closed', async () => {
    let prev = genesisHash;
    const lines = forged.map((event) => {
      const line = encodeLine(event, prev, undefined);
      prev = hashLine(line);
      return line.toString();
    });
    await writeLog(`${lines.join('\n')}\n`);
    const unsigned = await cli({}, 'gate', file, '--env', 'production', '--require', 'deployed');
    expect(unsigned.code).toBe(0);
    expect(unsigned.out).toContain('unsigned (set SHIPCHECK_LOG_KEY');
    const keyed = await cli({ SHIPCHECK_LOG_KEY: key }, 'gate', file, '--env', 'production', '--require', 'deployed');
    expect(keyed.code).toBe(ExitCode.checkFailed);
    expect(keyed.out).toContain('event 1 is unsigned: written without SHIPCHECK_LOG_KEY');
  });
});
