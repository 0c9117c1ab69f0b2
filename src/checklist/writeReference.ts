/**
 * Regenerates the field reference in docs/checklist-format.md from the zod schemas:
 *   node --import tsx src/checklist/writeReference.ts
 * test/unit/checklist/reference.test.ts fails when the doc is out of date.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defaultRegistry } from '../steps/registry.js';
import { referenceEnd, referenceStart, renderFormatReference } from './reference.js';

export const formatDocPath = fileURLToPath(new URL('../../docs/checklist-format.md', import.meta.url));

/** The doc with its generated part replaced by the current reference. */
export function withCurrentReference(doc: string, reference: string): string {
  const start = doc.indexOf(referenceStart);
  const end = doc.indexOf(referenceEnd);
  if (start === -1 || end === -1) return `${doc.trimEnd()}\n\n${reference}\n`;
  return `${doc.slice(0, start)}${reference}${doc.slice(end + referenceEnd.length)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const doc = await readFile(formatDocPath, 'utf8').catch(() => '');
  await writeFile(formatDocPath, withCurrentReference(doc, renderFormatReference(defaultRegistry)));
}
