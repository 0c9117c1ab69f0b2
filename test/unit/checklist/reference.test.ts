import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderFormatReference } from '../../../src/checklist/reference.js';
import { formatDocPath, withCurrentReference } from '../../../src/checklist/writeReference.js';
import { defaultRegistry } from '../../../src/steps/registry.js';

describe('docs/checklist-format.md', () => {
  it('has the field reference generated from the current zod schemas', async () => {
    const doc = await readFile(formatDocPath, 'utf8');
    const current = withCurrentReference(doc, renderFormatReference(defaultRegistry));
    expect(doc, 'the doc is out of date: run node --import tsx src/checklist/writeReference.ts').toBe(current);
  });

  it('documents every registered step kind', () => {
    const reference = renderFormatReference(defaultRegistry);
    for (const kind of defaultRegistry.keys()) expect(reference).toContain(`### kind: ${kind}`);
  });
});
