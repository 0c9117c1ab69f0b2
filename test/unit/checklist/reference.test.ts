import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderFormatReference } from '../../../src/checklist/reference.js';
import { checklistSchema, stepHeaderSchema } from '../../../src/checklist/schema.js';
import { schemaFields } from '../../../src/checklist/schemaFields.js';
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

  it('shows nested fields by their dotted path', () => {
    const reference = renderFormatReference(defaultRegistry);
    for (const path of [
      'environments.<name>.connection_env',
      'phases[].steps',
      'rollback.keep_monitoring',
      'expect.row_count',
      'grants.denied',
      'criteria.max_deadlocks',
      'expect.json',
      'requires[].approval',
    ]) {
      expect(reference).toContain(`| \`${path}\` |`);
    }
  });

  it('gives every field, nested ones too, a meaning from the schema', () => {
    const schemas = {
      file: checklistSchema,
      step: stepHeaderSchema,
      ...Object.fromEntries([...defaultRegistry].map(([name, kind]) => [`kind ${name}`, kind.schema])),
    };
    const undescribed = Object.entries(schemas).flatMap(([name, schema]) =>
      schemaFields(schema)
        .filter((field) => field.description === '')
        .map((field) => `${name}: ${field.path}`),
    );
    expect(undescribed, 'add .describe() to these fields').toEqual([]);
  });
});
