import { createJsonRenderer } from './json.js';
import { createLineRenderer } from './lines.js';
import { createListrRenderer } from './listr.js';
import type { RunRenderer } from './types.js';

/** listr2's rule: --json → JSON lines; a TTY → the live list; anything else (CI, pipes) → plain lines. */
export function chooseRenderer(options: { json: boolean; tty: boolean; write: (line: string) => void }): RunRenderer {
  if (options.json) return createJsonRenderer(options.write);
  if (options.tty) return createListrRenderer(options.write);
  return createLineRenderer(options.write);
}
