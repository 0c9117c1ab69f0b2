import { createInterface } from 'node:readline/promises';
import type { ChecklistStep } from '../../checklist/types.js';
import type { InterruptedStepDecision } from '../phases.js';
import { askQuestion } from './terminalQuestion.js';

const answers: Readonly<Record<string, InterruptedStepDecision>> = {
  r: 'retry',
  run: 'retry',
  retry: 'retry',
  s: 'skip',
  skip: 'skip',
  t: 'stop',
  stop: 'stop',
};

/**
 * What an answer to the interrupted-step question decides; undefined for anything
 * else. Whole words only: "stop" must never read as the "s" of skip, which records
 * the step as done.
 *
 * @example
 * interruptedStepDecision(' R ') // 'retry'
 */
export function interruptedStepDecision(answer: string): InterruptedStepDecision | undefined {
  return answers[answer.trim().toLowerCase()];
}

/**
 * Asks on the terminal whether to run an interrupted, non-idempotent step again,
 * skip it (checked by hand: it completed) or stop. Asks again on an answer it does
 * not know; Ctrl-C or end of input is no decision, so the run stops and says how
 * to decide later (--retry-step / --skip-step).
 */
export async function askAboutInterruptedStep(
  step: ChecklistStep,
  terminal: { readonly input: NodeJS.ReadableStream; readonly output: NodeJS.WritableStream },
): Promise<InterruptedStepDecision> {
  const prompt = createInterface({ input: terminal.input, output: terminal.output });
  try {
    terminal.output.write(
      `step "${step.id}" (${step.title}) was interrupted mid-way and is not idempotent: it may have done part of its work.\n`,
    );
    for (;;) {
      const answer = await askQuestion(
        prompt,
        'Check the target first. [r]un it again, [s]kip it (it completed), or s[t]op? ',
      );
      if (answer === undefined) return 'stop';
      const decision = interruptedStepDecision(answer);
      if (decision) return decision;
      terminal.output.write('Answer r (run it again), s (skip it: it completed) or t (stop).\n');
    }
  } finally {
    prompt.close();
  }
}
