import { ShipcheckError, DatabaseError, ExitCode } from '../errors.js';
import { redactSecrets } from '../db/connectionString.js';

/** Where CLI commands write: injectable so tests can capture output without spawning. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}

/**
 * One clear sentence, PostgreSQL's detail and hint, a caret under the failing
 * position when the SQL is known; the stack only with --verbose.
 */
export function reportError(
  output: Output,
  error: unknown,
  options: { verbose?: boolean; json?: boolean } = {},
): number {
  const known = error instanceof ShipcheckError;
  const message = redactSecrets(
    known ? error.message : `internal error: ${String((error as Error)?.message ?? error)}`,
  );
  const exitCode = known ? error.exitCode : ExitCode.internal;
  if (options.json) {
    output.err(
      JSON.stringify({
        error: {
          code: known ? error.code : 'internal',
          message,
          ...(known && error.detail && { detail: redactSecrets(error.detail) }),
          ...(known && error.hint && { hint: error.hint }),
          exitCode,
        },
      }),
    );
  } else {
    output.err(`shipcheck: ${message}`);
    if (error instanceof DatabaseError && error.sql && error.position) output.err(caret(error.sql, error.position));
    if (known && error.detail) output.err(`  detail: ${redactSecrets(error.detail)}`);
    if (known && error.hint) output.err(`  hint: ${error.hint}`);
  }
  if (options.verbose && error instanceof Error && error.stack) output.err(redactSecrets(error.stack));
  return exitCode;
}

function caret(sql: string, position: number): string {
  const before = sql.slice(0, position - 1);
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = sql.indexOf('\n', position - 1);
  const line = sql.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const lineNumber = before.split('\n').length;
  const prefix = `  line ${lineNumber}: `;
  return `${prefix}${line}\n${' '.repeat(prefix.length + (position - 1 - lineStart))}^`;
}
