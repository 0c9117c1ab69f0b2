import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ChecklistStep } from '../../../src/checklist/types.js';
import { askAboutInterruptedStep } from '../../../src/engine/renderers/interruptedStepPrompt.js';

const step = { id: 'apply-024', title: 'Apply migration 024' } as ChecklistStep;
const question = 'Check the target first.';

/** Runs the prompt, typing each answer (null: end of input) once the question has been asked that many times. */
async function converse(answers: readonly (string | null)[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  let asked = 0;
  output.on('data', (chunk: Buffer) => {
    shown += chunk.toString();
    const times = shown.split(question).length - 1;
    if (times > asked && asked < answers.length) {
      const answer = answers[asked++];
      setImmediate(() => (answer === null || answer === undefined ? input.end() : input.write(answer)));
    }
  });
  const decision = await askAboutInterruptedStep(step, { input, output });
  return { decision, shown };
}

describe('the interrupted-step prompt', () => {
  it('runs the step again, skips it or stops, on whole words only', async () => {
    expect((await converse(['r\n'])).decision).toBe('retry');
    expect((await converse(['skip\n'])).decision).toBe('skip');
    expect((await converse(['T\n'])).decision).toBe('stop');
  });

  it('asks again after an answer it does not know', async () => {
    const { decision, shown } = await converse(['maybe\n', 'st\n', 'run\n']);
    expect(decision).toBe('retry');
    expect(shown.split(question).length - 1).toBe(3);
    expect(shown).toContain('Answer r (run it again), s (skip it: it completed) or t (stop).');
  });

  it('stops at the end of input (a closed pipe, Ctrl-D) instead of waiting forever', async () => {
    expect((await converse([null])).decision).toBe('stop');
    expect((await converse(['maybe\n', null])).decision).toBe('stop');
  });
});
