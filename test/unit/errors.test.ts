import { describe, expect, it } from 'vitest';
import { reportError, type Output } from '../../src/cli/output.js';
import { outcomeOf } from '../../src/demo/outcome.js';
import { CheckFailedError, ExitCode, InterruptedError, ShipcheckError, UsageError } from '../../src/errors.js';

function captured(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (line) => lines.push(line), err: (line) => lines.push(line) };
}

describe('one InterruptedError for every Ctrl-C', () => {
  it('has the code interrupted and exit 130, wherever it is made', () => {
    for (const error of [
      new InterruptedError('stopped'),
      InterruptedError.ofRun('stopped', 'RUN'),
      InterruptedError.duringStep('monitoring'),
    ]) {
      expect(error).toBeInstanceOf(ShipcheckError);
      expect(error).toMatchObject({ code: 'interrupted', exitCode: ExitCode.interrupted, name: 'InterruptedError' });
    }
  });

  it('a step cut short by Ctrl-C exits 130 like the run it belongs to (it used to say 1, a failed check)', () => {
    expect(InterruptedError.duringStep('running sleep 10').exitCode).toBe(130);
  });

  it("a run's interruption says how to continue it: resume by default, the rollback command for a rollback", () => {
    expect(InterruptedError.ofRun('x', 'RUN').hint).toContain('the run is resumable: shipcheck resume RUN');
    expect(InterruptedError.ofRun('x', 'RUN', 'shipcheck rollback RUN').hint).toBe(
      'the run is resumable: shipcheck rollback RUN continues it without repeating finished steps',
    );
  });

  it('the CLI prints it as one sentence and its hint, exit 130; --json carries the code', () => {
    const text = captured();
    expect(
      reportError(text, InterruptedError.ofRun('interrupted by the operator (Ctrl-C) before step b (B)', 'RUN')),
    ).toBe(130);
    expect(text.lines[0]).toBe('shipcheck: interrupted by the operator (Ctrl-C) before step b (B)');
    expect(text.lines[1]).toContain('  hint: the run is resumable');
    const json = captured();
    expect(reportError(json, new InterruptedError('stopped'), { json: true })).toBe(130);
    expect(JSON.parse(json.lines[0]!)).toMatchObject({ error: { code: 'interrupted', exitCode: 130 } });
  });

  it('the demo reads any of them as INTERRUPTED (exit 130)', () => {
    expect(outcomeOf(undefined, undefined, InterruptedError.duringStep('monitoring'))).toEqual({
      outcome: 'interrupted',
      exitCode: 130,
    });
    expect(outcomeOf('failed', undefined, new CheckFailedError('no'))).toEqual({ outcome: 'failed', exitCode: 1 });
  });
});

describe('ErrorCode', () => {
  it('codes are a closed list: a made-up one does not type-check', () => {
    // @ts-expect-error -- not an ErrorCode
    const error = new UsageError('bad', { code: 'made_up_code' });
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(new ShipcheckError('x', { code: 'pg_23505', exitCode: ExitCode.database }).code).toBe('pg_23505');
  });
});
