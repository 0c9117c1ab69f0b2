import { join } from 'node:path';
import { packageRoot } from '../../paths.js';

/**
 * Splits a command line the way a shell would split words, without a shell:
 * whitespace separates, '…' and "…" quote, backslash escapes outside single
 * quotes. No pipes, globs, variables or redirections — a step that needs them
 * says `run: [sh, -c, "…"]` so the shell is visible in the checklist.
 * Returns undefined for an unterminated quote.
 */
export function splitCommandLine(line: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(word);
  return words;
}

/** `shipcheck …` runs this package's own bin with this Node, so no global install is needed. */
export function resolveExecutable(argv: readonly string[]): { file: string; args: string[] } {
  const [first, ...rest] = argv;
  if (first === 'shipcheck')
    return { file: process.execPath, args: [join(packageRoot, 'bin', 'shipcheck.js'), ...rest] };
  return { file: first!, args: rest };
}

/** How the command shows in plan and in evidence. */
export function formatCommandLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
