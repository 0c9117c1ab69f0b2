import { createInterface, type Interface } from 'node:readline/promises';
import { askQuestion } from '../engine/renderers/terminalQuestion.js';
import type { ApprovalAnswer, ApprovalRequest } from '../demo/types.js';

/**
 * Asks a person for an approval decision: their name, then approved or rejected, asked
 * again until the answer is one of them. An empty answer or the end of input is "not
 * now" (undefined). `shipcheck demo` asks on the terminal (stdin, stderr).
 *
 * @example
 * const decide = approvalPrompt({ input: process.stdin, output: process.stderr });
 * const answer = await decide(request); // { by: 'Ana', decision: 'approved' } or undefined
 */
export function approvalPrompt(terminal: {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}): (request: ApprovalRequest) => Promise<ApprovalAnswer | undefined> {
  return async (request) => {
    const prompt = createInterface({ input: terminal.input, output: terminal.output });
    try {
      terminal.output.write(`\n${request.title} — the ${request.role} decides (run ${request.runId}).\n`);
      for (const requirement of request.requirements) terminal.output.write(`  - ${requirement}\n`);
      const by = (await ask(prompt, 'Your name (empty: stop here, decide later with shipcheck approve): ')).trim();
      if (!by) return undefined;
      for (;;) {
        const answer = (await ask(prompt, 'Decision [a]pproved / [r]ejected (empty: stop here): '))
          .trim()
          .toLowerCase();
        if (!answer) return undefined;
        if (answer.startsWith('a')) return { by, decision: 'approved' };
        if (answer.startsWith('r')) return { by, decision: 'rejected' };
      }
    } finally {
      prompt.close();
    }
  };
}

/** An empty answer, end of input and Ctrl-C all mean "not now". */
async function ask(prompt: Interface, question: string): Promise<string> {
  return (await askQuestion(prompt, question)) ?? '';
}
