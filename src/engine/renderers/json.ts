import type { RunEvent } from '../events.js';
import type { RunRenderer } from './types.js';

/** `--json`: every run-log event as one JSON line on stdout, for machines. */
export function createJsonRenderer(write: (line: string) => void): RunRenderer {
  return {
    start() {},
    event(event: RunEvent) {
      write(JSON.stringify(event));
    },
    async stop() {},
  };
}
