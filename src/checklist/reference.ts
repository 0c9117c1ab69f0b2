import type { z } from 'zod';
import type { StepRegistry } from '../steps/registry.js';
import { checklistSchema, stepHeaderSchema } from './schema.js';
import { schemaFields, type SchemaField } from './schemaFields.js';

/** Markers around the generated part of docs/checklist-format.md. */
export const referenceStart =
  '<!-- field reference: generated from the zod schemas by src/checklist/writeReference.ts; do not edit by hand -->';
export const referenceEnd = '<!-- end of field reference -->';

/**
 * The checklist format's field reference, rendered from the same zod schemas the
 * loader parses with (STYLE: the schema is the documentation).
 */
export function renderFormatReference(registry: StepRegistry): string {
  const sections: string[] = [
    referenceStart,
    '',
    'Nested fields are named by their path: `a.b` is key `b` of mapping `a`, `a[]` an entry of list `a`,',
    '`a.<name>` the value under any name in mapping `a`. "Required" is within the parent: a nested',
    'field is asked for only when its parent is given.',
    '',
  ];
  const table = (title: string, schema: z.ZodType, intro: string) => {
    sections.push(`### ${title}`, '', intro, '', ...fieldTable(schemaFields(schema)), '');
  };
  table(
    'Checklist file',
    checklistSchema,
    'The top-level sections of the file and everything inside them except the steps (below).',
  );
  table(
    'Every step',
    stepHeaderSchema,
    'Fields every step has, whatever its kind; the other keys of a step belong to its kind (below).',
  );
  sections.push('## Step kinds', '');
  for (const name of [...registry.keys()].sort()) {
    const kind = registry.get(name)!;
    const flags = [
      kind.mutates ? 'mutates the target (runs under the advisory lock)' : 'read-only',
      kind.idempotent
        ? 'idempotent (re-run after an interruption)'
        : 'not idempotent (an interrupted attempt asks the operator)',
      kind.rehearsable ? 'rehearsed by `run --rehearse`' : 'skipped by `run --rehearse`',
    ];
    // A kind whose steps can change these flags says so (sql with mutates: true takes the lock, is not re-run unasked).
    const perStep = kind.traits ? " A step's own fields can change this (see `mutates`)." : '';
    table(`kind: ${name}`, kind.schema, `${flags.join('; ')}.${perStep}`);
  }
  sections.push(referenceEnd);
  return sections.join('\n');
}

function fieldTable(fields: readonly SchemaField[]): string[] {
  if (fields.length === 0) return ['No fields of its own.'];
  return [
    '| Field | Type | Required | Default | Meaning |',
    '|-------|------|----------|---------|---------|',
    ...fields.map((field) => {
      const fallback = field.default === undefined ? '' : `\`${JSON.stringify(field.default)}\``;
      const cells = [`\`${field.path}\``, field.type, requiredCell(field), fallback, field.description];
      return `| ${cells.map(escapeCell).join(' | ')} |`;
    }),
  ];
}

function requiredCell(field: SchemaField): string {
  if (!field.required) return 'no';
  return field.form ? `yes, in a mapping (${field.form.map((key) => `\`${key}\``).join(', ')})` : 'yes';
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
