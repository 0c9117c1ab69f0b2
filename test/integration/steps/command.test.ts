import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { commandStep } from '../../../src/steps/command.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

const node = process.execPath;

describe('command step', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness();
  });
  afterAll(async () => {
    await harness.close();
    delete process.env.SHIPCHECK_TEST_SECRET;
  });

  it('passes on exit code, stdout and JSON paths; the connection comes in dedicated variables only', async () => {
    process.env.SHIPCHECK_TEST_SECRET = 'do-not-pass-me';
    const script =
      'console.log(JSON.stringify({ status: "ok", lost: 0, same: process.env.DATABASE_URL === process.env.SHIPCHECK_DATABASE_URL, secret: process.env.SHIPCHECK_TEST_SECRET ?? null, url: process.env.DATABASE_URL }))';
    const outcome = await harness.run(commandStep, {
      run: [node, '-e', script],
      expect: {
        exit_code: 0,
        stdout_contains: ['"status":"ok"'],
        json: { '$.status': 'ok', '$.lost': 0, '$.same': true, '$.secret': null },
      },
    });
    expect(outcome.status, outcome.message).toBe('passed');
    const evidence = outcome.evidence![0]!;
    const text = await readFile(join(harness.runDir, evidence.path), 'utf8');
    // The connection string (with its password) was printed by the child but is stored redacted.
    expect(text).not.toContain(harness.database.url);
    expect(JSON.stringify(outcome.observed)).not.toContain(harness.database.url);
    expect(text).toContain(`postgres://127.0.0.1`);
  });

  it("runs `shipcheck` as this package's own bin, against the environment's database", async () => {
    const outcome = await harness.run(commandStep, {
      run: 'shipcheck db status --json',
      expect: { json: { '$[0].id': '001', '$.1.name': '002_organizations' } },
      timeout: '60s',
    });
    expect(outcome.status, outcome.message).toBe('passed');
  });

  it('fails naming the exit code and missing output', async () => {
    const outcome = await harness.run(commandStep, {
      run: [node, '-e', 'console.log("lost 2"); process.exit(1)'],
      expect: { exit_code: 0, stdout_contains: ['no update lost'], json: { '$.status': 'ok' } },
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/exited with 1, expected 0; stdout lacks "no update lost"; stdout is not JSON$/);
    expect(outcome.observed).toMatchObject({ exit_code: 1, stdout_tail: 'lost 2\n' });
  });

  it('fails on timeout, killing the process', async () => {
    const outcome = await harness.run(commandStep, {
      run: [node, '-e', 'setTimeout(() => {}, 30000)'],
      timeout: '300ms',
    });
    expect(outcome).toMatchObject({ status: 'failed', observed: { timed_out: true } });
    expect(outcome.message).toMatch(/timed out after 300ms$/);
  });

  it('keeps at most 64 KB of output', async () => {
    const outcome = await harness.run(commandStep, { run: [node, '-e', 'process.stdout.write("x".repeat(100000))'] });
    expect(outcome.status).toBe('passed');
    expect(outcome.observed).toMatchObject({ dropped_bytes: { stdout: 100000 - 65536, stderr: 0 } });
    expect(outcome.evidence![0]!.bytes).toBeLessThan(70000);
  });

  it('throws a usage error when the program does not exist', async () => {
    await expect(harness.run(commandStep, { run: 'no-such-program-here --flag' })).rejects.toThrow(UsageError);
  });

  it('throws "interrupted" when the run is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await expect(
      harness.run(commandStep, { run: [node, '-e', 'setTimeout(() => {}, 30000)'] }, { signal: controller.signal }),
    ).rejects.toThrow(/interrupted by the operator/);
  });

  it('rejects bad specs', () => {
    for (const [spec, words] of [
      [{ run: 'echo "unterminated' }, 'unterminated quote'],
      [{ run: '   ' }, 'run is empty'],
      [{ run: [] }, 'run is empty'],
      [{ run: 'true', expect: { exit_code: 256 } }, 'exit_code'],
      [{ run: 'true', timeout: 'soon' }, 'timeout must look like'],
      [{ run: 'true', shell: true }, 'shell'],
      [{ run: 'true', env: ['NOT-A-NAME'] }, 'env names a variable'],
      [{ run: 'true', env: ['DATABASE_URL'] }, 'env cannot name'],
      [{ run: 'true', env_set: { SHIPCHECK_DATABASE_URL: 'x' } }, 'env_set cannot set'],
      [{ run: 'true', env_set: { '1X': 'x' } }, 'env_set names a variable'],
    ] as const) {
      const result = commandStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(words);
    }
  });

  it('describes the exact command for plan', () => {
    const spec = commandStep.schema.parse({ run: "shipcheck shield verify-count --user-id 'a b' --expected-count 5" });
    expect(commandStep.describe(spec, { id: 'c', kind: 'command', title: 'c', onFail: 'stop' })).toEqual({
      summary: 'run a command and expect exit code 0 (timeout 5m)',
      detail: "shipcheck shield verify-count --user-id 'a b' --expected-count 5",
    });
  });

  describe("a team's own script: env passed through, env_set, stderr quoted", () => {
    afterAll(() => {
      delete process.env.SHIPCHECK_TEST_SUPABASE_URL;
      delete process.env.SHIPCHECK_TEST_UNLISTED;
    });

    it('passes the named variables through (values redacted from evidence) and sets literal ones; others stay out', async () => {
      process.env.SHIPCHECK_TEST_SUPABASE_URL = 'https://tenant.example.invalid/secret-token';
      process.env.SHIPCHECK_TEST_UNLISTED = 'must-not-pass';
      const script =
        'console.log(JSON.stringify({ url: process.env.SHIPCHECK_TEST_SUPABASE_URL, mode: process.env.APP_MODE, unlisted: process.env.SHIPCHECK_TEST_UNLISTED ?? null }))';
      const outcome = await harness.run(commandStep, {
        run: [node, '-e', script],
        env: ['SHIPCHECK_TEST_SUPABASE_URL'],
        env_set: { APP_MODE: 'canary' },
        expect: { json: { '$.mode': 'canary', '$.unlisted': null } },
      });
      expect(outcome.status, outcome.message).toBe('passed');
      const text = await readFile(join(harness.runDir, outcome.evidence![0]!.path), 'utf8');
      expect(text).not.toContain('secret-token');
      expect(text).toContain('[redacted]');
    });

    it('stops before running when a passed-through variable is not set', async () => {
      await expect(
        harness.run(
          commandStep,
          { run: [node, '-e', 'process.exit(0)'], env: ['SHIPCHECK_TEST_NEVER_SET'] },
          { step: { id: 'team-script' } },
        ),
      ).rejects.toThrow(/SHIPCHECK_TEST_NEVER_SET is not set: the command step team-script passes it through/);
    });

    it("quotes the last lines of stderr in a failure's message", async () => {
      const outcome = await harness.run(commandStep, {
        run: [
          node,
          '-e',
          'console.error("warming up\\nstill going\\nconnecting\\nError: relation \\"t\\" does not exist"); process.exit(3)',
        ],
      });
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(
        /exited with 3, expected 0; stderr: still going \| connecting \| Error: relation "t" does not exist$/,
      );
    });
  });
});
