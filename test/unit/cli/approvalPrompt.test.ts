import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { approvalPrompt } from '../../../src/cli/approvalPrompt.js';
import { outcomeOf } from '../../../src/demo/outcome.js';
import type { ApprovalRequest } from '../../../src/demo/types.js';

/**
 * The approval question `shipcheck demo` asks on a TTY, through the same readline code
 * on in-memory streams: the test types each answer once its question has been asked
 * (a line typed before the question would be read by nobody).
 */
const request: ApprovalRequest = {
  runId: 'run-1',
  environment: 'staging',
  stepId: 'po-signoff',
  title: 'Product owner sign-off',
  role: 'Product Owner',
  requirements: ['Shield E2E green', 'no alert for an hour'],
};

const nameQuestion = 'Your name (empty: stop here';
const decisionQuestion = 'Decision [a]pproved / [r]ejected';

/** Runs the prompt; `script` is [question, times it has been asked, what the person types]. */
async function converse(script: readonly (readonly [string, number, string | null])[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  let next = 0;
  output.on('data', (chunk: Buffer) => {
    shown += chunk.toString();
    const step = script[next];
    if (step && shown.split(step[0]).length - 1 >= step[1]) {
      next++;
      // null: the person presses Ctrl-D (end of input).
      setImmediate(() => (step[2] === null ? input.end() : input.write(step[2])));
    }
  });
  const answer = await approvalPrompt({ input, output })(request);
  return { answer, shown, answered: next };
}

describe('the approval prompt', () => {
  it('says what is decided and by whom, asks the name, asks the decision again after an answer it does not know', async () => {
    const { answer, shown, answered } = await converse([
      [nameQuestion, 1, '  Ana García (PO) \n'],
      [decisionQuestion, 1, 'maybe\n'],
      [decisionQuestion, 2, 'R\n'],
    ]);
    expect(answered).toBe(3);
    expect(answer).toEqual({ by: 'Ana García (PO)', decision: 'rejected' });
    expect(shown).toContain('Product owner sign-off — the Product Owner decides (run run-1).');
    expect(shown).toContain('  - Shield E2E green\n  - no alert for an hour\n');
  });

  it('approved', async () => {
    const { answer } = await converse([
      [nameQuestion, 1, 'Ana\n'],
      [decisionQuestion, 1, 'approved\n'],
    ]);
    expect(answer).toEqual({ by: 'Ana', decision: 'approved' });
  });

  it('an empty name, an empty decision or the end of input is "not now": no answer, nothing decided', async () => {
    expect((await converse([[nameQuestion, 1, '\n']])).answer).toBeUndefined();
    expect(
      (
        await converse([
          [nameQuestion, 1, 'Ana\n'],
          [decisionQuestion, 1, '   \n'],
        ])
      ).answer,
    ).toBeUndefined();
    expect((await converse([[nameQuestion, 1, null]])).answer).toBeUndefined();
    expect(
      (
        await converse([
          [nameQuestion, 1, 'Ana\n'],
          [decisionQuestion, 1, null],
        ])
      ).answer,
    ).toBeUndefined();
  });

  it('a rejection ends the demo REJECTED with exit 1', () => {
    expect(outcomeOf('rejected', undefined, new Error('rejected by Ana'))).toEqual({
      outcome: 'rejected',
      exitCode: 1,
    });
  });
});
