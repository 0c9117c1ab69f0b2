import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { ExitCode, RunLogDamagedError } from '../../../src/errors.js';
import type { RunEvent } from '../../../src/engine/events.js';
import { encodeLine, genesisHash, hashLine, logKeyFrom } from '../../../src/engine/logLine.js';
import { appendEvent, appendEvents, eventsFileName, parseRunLog, readRunLog } from '../../../src/engine/runLog.js';
import { foldEvents, progressKept } from '../../../src/engine/state.js';
import { bundle } from '../../support/bundle.js';

const at = '2025-10-24T10:00:00.000Z';
const started: RunEvent = {
  type: 'run_started',
  at,
  runId: 'r1',
  checklist: 'm24',
  checklistFile: '/x.yaml',
  checklistHash: 'h',
  environment: 'production',
  target: 'localhost:5432/db',
  rehearse: false,
  phases: [{ id: 'deploy', title: 'Deploy', environment: 'production' }],
  runPhases: ['deploy'],
  metadata: {},
  holder: 'ana@host',
};
const stepStarted: RunEvent = {
  type: 'step_started',
  at,
  stepId: 'a',
  phaseId: 'deploy',
  kind: 'sql',
  title: 'A',
  hash: 'h-a',
  attempt: 1,
};
const stepPassed: RunEvent = {
  type: 'step_finished',
  at,
  stepId: 'a',
  status: 'passed',
  durationMs: 5,
  outcome: { status: 'passed', expected: 'e', observed: {}, message: 'ok' },
};
const finished: RunEvent = { type: 'run_finished', at, status: 'passed', message: 'every step passed' };
const key = Buffer.from('a-key-of-at-least-16-chars');

let dir: string;
const logPath = () => join(dir, eventsFileName);
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipcheck-log-'));
  return () => rm(dir, { recursive: true, force: true });
});

/** The error parseRunLog throws, or a failure if it throws none. */
function damage(text: string): RunLogDamagedError {
  try {
    parseRunLog(Buffer.from(text));
  } catch (error) {
    expect(error).toBeInstanceOf(RunLogDamagedError);
    return error as RunLogDamagedError;
  }
  throw new Error('expected the log to be refused');
}

describe('the run log: a hash chain of validated events', () => {
  it('chains each line to the exact bytes of the one before it', async () => {
    await appendEvents(dir, [started, stepStarted]);
    await appendEvent(dir, stepPassed);
    const lines = (await readFile(logPath(), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!).prev).toBe(genesisHash);
    expect(JSON.parse(lines[2]!).prev).toBe(hashLine(Buffer.from(lines[1]!)));
    const log = await readRunLog(dir);
    expect(log.events).toEqual([started, stepStarted, stepPassed]);
    expect(log.integrity).toMatchObject({ unchained: 0, signature: 'unsigned', firstUnsigned: 1, tornBytes: 0 });
  });

  it('names the edited event when a middle event is changed, removed or an unchained one inserted', async () => {
    await appendEvents(dir, [started, stepStarted, stepPassed, finished]);
    const lines = (await readFile(logPath(), 'utf8')).trimEnd().split('\n');

    const edited = [...lines];
    edited[1] = edited[1]!.replace('"title":"A"', '"title":"B"');
    const broken = damage(`${edited.join('\n')}\n`);
    expect(broken.code).toBe('broken_chain');
    expect(broken.exitCode).toBe(ExitCode.damagedRun);
    expect(broken.message).toMatch(
      /breaks after event 2 \(step_started at .*\): event 3 \(step_finished .*\) does not follow it, so event 2 was changed/,
    );

    expect(damage(`${[lines[0], lines[2], lines[3]].join('\n')}\n`).message).toMatch(/breaks after event 1 /);
    expect(damage(`${[lines[1], lines[2]].join('\n')}\n`).message).toMatch(
      /line 1 is step_started: a run log begins with run_started/,
    );
    expect(damage(`${[lines[0], JSON.stringify(stepStarted), lines[1]].join('\n')}\n`).message).toMatch(
      /line 2 has no hash chain but follows chained events/,
    );
  });

  it('refuses an unknown event type, a step_finished without its outcome, an unknown field, a newer format — exit 9, never a TypeError', () => {
    const first = encodeLine(started, genesisHash, undefined);
    const followedBy = (value: object) =>
      `${first.toString()}\n${JSON.stringify({ v: 2, prev: hashLine(first), ...value })}\n`;
    expect(damage(followedBy({ type: 'step_teleported', at, stepId: 'a' })).message).toMatch(
      /line 2 is not a valid event: unknown event type "step_teleported"/,
    );
    const { outcome: _outcome, ...withoutOutcome } = stepPassed as Extract<RunEvent, { type: 'step_finished' }>;
    expect(damage(followedBy(withoutOutcome)).message).toMatch(
      /step_finished: outcome: a passed step_finished needs its outcome/,
    );
    expect(damage(followedBy({ ...stepStarted, attempt: 'one' })).message).toMatch(/step_started: attempt: /);
    expect(damage(followedBy({ ...stepStarted, extra: 1 })).message).toMatch(/unknown field "extra"/);
    expect(damage(`${JSON.stringify({ v: 3, prev: genesisHash, ...started })}\n`).message).toMatch(
      /format version 3 is not one this shipcheck reads/,
    );
    expect(damage(`${JSON.stringify(started)}\n[1,2]\n`).message).toMatch(
      /line 2 is refused: a line must hold a JSON object/,
    );
    for (const text of [followedBy({ type: 'step_teleported' }), followedBy(withoutOutcome)])
      expect(damage(text).exitCode).toBe(ExitCode.damagedRun);
  });

  it('reads format 1 logs (no chain) and says they are unchained', () => {
    const text = `${[started, stepStarted, stepPassed].map((e) => JSON.stringify(e)).join('\n')}\n`;
    const log = parseRunLog(Buffer.from(text));
    expect(log.events).toHaveLength(3);
    expect(log.integrity.unchained).toBe(3);
  });

  it('signs each line with the key; another key, or an unsigned line, is named', async () => {
    await appendEvents(dir, [started, stepStarted], { key });
    expect((await readRunLog(dir, key)).integrity.signature).toBe('verified');
    expect((await readRunLog(dir)).integrity.signature).toBe('unchecked');
    expect((await readRunLog(dir, Buffer.from('another-key-of-16-chars'))).integrity).toMatchObject({
      signature: 'invalid',
      firstInvalid: 1,
    });
    await appendEvent(dir, stepPassed);
    expect((await readRunLog(dir, key)).integrity).toMatchObject({ signature: 'unsigned', firstUnsigned: 3 });
  });

  it('takes the key from SHIPCHECK_LOG_KEY, refusing one too short to be a key (exit 2, the key not shown)', () => {
    expect(logKeyFrom({})).toBeUndefined();
    expect(logKeyFrom({ SHIPCHECK_LOG_KEY: '' })).toBeUndefined();
    expect(logKeyFrom({ SHIPCHECK_LOG_KEY: key.toString() })).toEqual(key);
    const short = (() => {
      try {
        logKeyFrom({ SHIPCHECK_LOG_KEY: 'hunter2' });
      } catch (error) {
        return error as Error & { exitCode: number };
      }
      throw new Error('expected a refusal');
    })();
    expect(short.exitCode).toBe(ExitCode.usage);
    expect(short.message).toMatch(/SHIPCHECK_LOG_KEY is too short/);
    expect(short.message).not.toContain('hunter2');
  });

  it('a signed line whose content was edited and re-chained by hand fails its MAC', async () => {
    await appendEvents(dir, [started, stepStarted], { key });
    const lines = (await readFile(logPath(), 'utf8')).trimEnd().split('\n');
    lines[1] = lines[1]!.replace('"title":"A"', '"title":"B"');
    await writeFile(logPath(), `${lines.join('\n')}\n`);
    expect((await readRunLog(dir, key)).integrity).toMatchObject({ signature: 'invalid', firstInvalid: 2 });
  });
});

describe('a torn last line', () => {
  it('is left out by readers, and cut off by the next writer, its bytes kept aside and a log_repaired recorded', async () => {
    await appendEvents(dir, [started, stepStarted]);
    const before = await stat(logPath());
    await appendFile(logPath(), '{"type":"step_progress","mess');
    expect((await readRunLog(dir)).integrity.tornBytes).toBe(29);
    expect((await readRunLog(dir)).events).toHaveLength(2);

    const written = await appendEvent(dir, stepPassed, { now: () => at });
    expect(written).toEqual([
      { type: 'log_repaired', at, offset: before.size, bytes: 29, sideFile: `events.jsonl.torn-at-${before.size}` },
      stepPassed,
    ]);
    const side = join(dir, `events.jsonl.torn-at-${before.size}`);
    expect(await readFile(side, 'utf8')).toBe('{"type":"step_progress","mess');
    expect((await stat(side)).mode & 0o777).toBe(0o600);
    const log = await readRunLog(dir);
    expect(log.events.map((e) => e.type)).toEqual(['run_started', 'step_started', 'log_repaired', 'step_finished']);
    expect(log.integrity.tornBytes).toBe(0);
    expect(foldEvents(log.events).logRepairs).toEqual([
      { at, offset: before.size, bytes: 29, sideFile: `events.jsonl.torn-at-${before.size}` },
    ]);
  });

  it('a last line that ended but is not JSON (a garbled block) is cut off too; a bad line before the last is damage', async () => {
    await appendEvents(dir, [started]);
    await appendFile(logPath(), '\u0000\u0000\u0000garbage\n');
    expect((await readRunLog(dir)).events).toHaveLength(1);
    await appendEvent(dir, stepStarted);
    expect((await readRunLog(dir)).events.map((e) => e.type)).toEqual(['run_started', 'log_repaired', 'step_started']);
    await appendFile(logPath(), 'garbage\n');
    await appendFile(logPath(), `${JSON.stringify(stepPassed)}\n`);
    await expect(readRunLog(dir)).rejects.toThrow(/line 4 is not valid JSON/);
  });
});

describe('blank lines', () => {
  it('are skipped by readers and writers alike: nothing torn, the chain goes on from the last event', async () => {
    await appendEvents(dir, [started]);
    await appendFile(logPath(), '\n\n');
    expect(await appendEvent(dir, stepStarted)).toEqual([stepStarted]);
    expect((await readRunLog(dir)).events).toEqual([started, stepStarted]);
  });
});

describe('appenders in several processes', () => {
  it('four processes appending at once (as approve does beside a run) leave one unbroken chain', async () => {
    await appendEvents(dir, [started, stepStarted]);
    const built = await mkdtemp(join(tmpdir(), 'shipcheck-appender-'));
    onTestFinished(() => rm(built, { recursive: true, force: true }));
    const appender = await bundle(fileURLToPath(new URL('./logAppender.ts', import.meta.url)), { outdir: built });
    const run = promisify(execFile);
    await Promise.all(['p1', 'p2', 'p3', 'p4'].map((name) => run(process.execPath, [appender, dir, name, '25'])));
    const log = await readRunLog(dir);
    expect(log.events).toHaveLength(102);
    for (const name of ['p1', 'p2', 'p3', 'p4']) {
      const mine = log.events.filter((e) => e.type === 'step_progress' && e.message.startsWith(`${name} `));
      expect(mine.map((e) => (e as { message: string }).message)).toEqual(
        Array.from({ length: 25 }, (_, i) => `${name} ${i}`),
      );
    }
    expect((await readdir(dir)).filter((f) => f.includes('.lock'))).toEqual([]);
  }, 60_000);

  it('a lock left by a writer killed mid-append does not block the next one', async () => {
    await appendEvents(dir, [started]);
    // pid 2^22 + 1 is above Linux's pid_max default: no such process.
    await writeFile(`${logPath()}.lock`, `${2 ** 22 + 1} deadbeef\n`);
    await appendEvent(dir, stepStarted);
    expect((await readRunLog(dir)).events).toHaveLength(2);
  });
});

describe('applyEvent', () => {
  it('keeps the first and the latest progress lines of a step and counts the ones left out', () => {
    const progress = Array.from(
      { length: 1000 },
      (_, i): RunEvent => ({ type: 'step_progress', at, stepId: 'a', message: `sample ${i}` }),
    );
    const state = foldEvents([started, stepStarted, ...progress]);
    const step = state.steps[0]!;
    expect(step.progress).toHaveLength(progressKept.first + progressKept.latest);
    expect(step.progress.slice(0, 2)).toEqual(['sample 0', 'sample 1']);
    expect(step.progress.at(-1)).toBe('sample 999');
    expect(step.progress[progressKept.first]).toBe(`sample ${1000 - progressKept.latest}`);
    expect(step.progressOmitted).toBe(1000 - progressKept.first - progressKept.latest);
  });
});
