import type { Command } from 'commander';
import type { Output } from './output.js';

/** What every command module gets: where to print, and how to hand back its exit code. */
export interface CliContext {
  readonly output: Output;
  readonly env: NodeJS.ProcessEnv;
  /** Set by a command's action; main() returns it. */
  exitCode: number;
}

/** Each file under src/cli/commands exports one of these. */
export type RegisterCommand = (program: Command, context: CliContext) => void;
