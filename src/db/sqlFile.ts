import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cache = new Map<string, string>();

/**
 * Reads a `.sql` file that sits next to the calling module; SQL lives in files, not in strings.
 *
 * @example
 * const sql = sqlFile(import.meta.url, 'sql/read_behaviour.sql');
 */
export function sqlFile(callerUrl: string, relativePath: string): string {
  const path = fileURLToPath(new URL(relativePath, callerUrl));
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(path, 'utf8');
    cache.set(path, text);
  }
  return text;
}
