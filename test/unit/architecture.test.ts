import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Code without comments, so a doc example that mentions console is not a finding. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

// Statements whose interpolated part is an identifier (which cannot be a bound parameter)
// taken from a constant or a value already checked against a closed list.
const identifierOnlyInterpolation = new Set([
  'src/db/scratchDatabases.ts', // database name checked against /^[a-z_][a-z0-9_]{0,62}$/
  'src/db/transaction.ts', // savepoint name is built from a counter
  'src/steps/rpc.ts', // function name checked against the identifier pattern of functionName; casts are the catalog's format_type
  'src/db/migrations/applyScript.ts', // an index name the server quoted with quote_ident (findInvalidIndex)
]);

// The house rules STYLE.md asks a linter for, checked on every test run.
describe('architecture', () => {
  const files = sourceFiles(join(root, 'src')).map((path) => ({ path, rel: relative(root, path) }));

  it('writes to the console only in the CLI and renderer layers', () => {
    const offenders = files
      .filter(({ rel }) => !rel.startsWith('src/cli/') && !rel.startsWith('src/engine/renderers/'))
      .filter(({ path }) => /\bconsole\.(log|error|warn|info|debug)\(/.test(code(path)))
      .map(({ rel }) => rel);
    expect(offenders).toEqual([]);
  });

  it('never calls process.exit: main() returns the exit code', () => {
    const offenders = files.filter(({ path }) => /\bprocess\.exit\(/.test(code(path))).map(({ rel }) => rel);
    expect(offenders).toEqual([]);
  });

  it('keeps SQL out of string concatenation with untrusted values (no template literals building SQL from variables in db calls)', () => {
    const offenders = files
      .filter(({ path }) => /\.query(<[^>]*>)?\(\s*`[^`]*\$\{/.test(code(path)))
      .map(({ rel }) => rel)
      .filter((rel) => !identifierOnlyInterpolation.has(rel));
    expect(offenders).toEqual([]);
  });
});
