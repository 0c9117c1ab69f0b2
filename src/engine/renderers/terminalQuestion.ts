import type { Interface } from 'node:readline/promises';

/**
 * Asks one question; end of input (Ctrl-D, a closed pipe) or Ctrl-C answers undefined
 * instead of waiting forever: Node 20's readline/promises leaves the pending question
 * unsettled when its input ends.
 *
 * @example
 * const answer = await askQuestion(prompt, 'Your name: '); // undefined at end of input
 */
export async function askQuestion(prompt: Interface, question: string): Promise<string | undefined> {
  const closed = new Promise<undefined>((resolve) => prompt.once('close', () => resolve(undefined)));
  try {
    return await Promise.race([prompt.question(question), closed]);
  } catch {
    return undefined;
  }
}
