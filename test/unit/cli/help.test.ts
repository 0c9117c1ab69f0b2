import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';

/** `shipcheck <path> --help`: its exit code and what it printed. */
async function help(path: readonly string[]) {
  const lines: string[] = [];
  const output = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) };
  const code = await main(['node', 'shipcheck', ...path, '--help'], output, {});
  return { code, text: lines.join('\n') };
}

/** The sub-commands a help text lists under "Commands:", without `help` itself. */
function subcommands(text: string): string[] {
  const section = text.split(/^Commands:$/m)[1];
  if (section === undefined) return [];
  // The section ends at the first blank line (examples and notes follow it).
  return section
    .replace(/^\n/, '')
    .split(/\n\s*\n/)[0]!
    .split('\n')
    .map((line) => /^ {2}([a-z][a-z0-9-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

describe('--help on every command', () => {
  it('each command and sub-command prints its usage and a description, exit 0', async () => {
    const seen: string[] = [];
    const visit = async (path: readonly string[]): Promise<void> => {
      const { code, text } = await help(path);
      expect(code, path.join(' ')).toBe(0);
      expect(text, path.join(' ')).toMatch(new RegExp(`^Usage: shipcheck ${path.join(' ')}`.trimEnd(), 'm'));
      // The line after the usage is the command's description.
      expect(text.split('\n')[2]?.trim(), path.join(' ')).toMatch(/\w{3,}/);
      seen.push(path.join(' '));
      for (const child of subcommands(text)) await visit([...path, child]);
    };
    await visit([]);
    // The walk reaches the leaves, e.g. the ledger purge and the keys commands.
    expect(seen).toEqual(
      expect.arrayContaining(['shield requests purge', 'shield keys create', 'db migrate', 'run', 'demo']),
    );
    expect(seen.length).toBeGreaterThan(25);
  });
});
