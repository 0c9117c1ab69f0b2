import { z } from 'zod';
import type { StepRegistry } from '../steps/registry.js';
import { checklistSchema, environmentSchema, metadataSchema, phaseSchema, rollbackSchema, stepHeaderSchema } from './schema.js';

/** Markers around the generated part of docs/checklist-format.md. */
export const referenceStart = '<!-- field reference: generated from the zod schemas by src/checklist/writeReference.ts; do not edit by hand -->';
export const referenceEnd = '<!-- end of field reference -->';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
};

/**
 * The checklist format's field reference, rendered from the same zod schemas the
 * loader parses with (STYLE: the schema is the documentation).
 */
export function renderFormatReference(registry: StepRegistry): string {
  const sections: string[] = [referenceStart, ''];
  const table = (title: string, schema: z.ZodType, intro?: string) => {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    sections.push(`### ${title}`, '');
    if (intro ?? json.description) sections.push(intro ?? json.description!, '');
    sections.push(...fieldTable(json), '');
  };
  table('Checklist file (top level)', checklistSchema);
  table('metadata', metadataSchema);
  table('environments.<name>', environmentSchema);
  table('phases[]', phaseSchema);
  table('Every step', stepHeaderSchema, 'Fields every step has, whatever its kind; the other keys of a step belong to its kind (below).');
  table('rollback', rollbackSchema);
  sections.push('## Step kinds', '');
  for (const name of [...registry.keys()].sort()) {
    const kind = registry.get(name)!;
    const flags = [
      kind.mutates ? 'mutates the target (runs under the advisory lock)' : 'read-only',
      kind.idempotent ? 'idempotent (re-run after an interruption)' : 'not idempotent (an interrupted attempt asks the operator)',
      kind.rehearsable ? 'rehearsed by `run --rehearse`' : 'skipped by `run --rehearse`',
    ];
    table(`kind: ${name}`, kind.schema, flags.join('; ') + '.');
  }
  sections.push(referenceEnd);
  return sections.join('\n');
}

function fieldTable(schema: JsonSchema): string[] {
  const object = schema.properties ? schema : (schema.anyOf ?? schema.oneOf ?? []).find((s) => s.properties);
  if (!object?.properties) return [`Value: ${typeOf(schema)}.`];
  const required = new Set(object.required ?? []);
  return [
    '| Field | Type | Required | Default | Meaning |',
    '|-------|------|----------|---------|---------|',
    ...Object.entries(object.properties).map(([name, field]) => {
      const isRequired = required.has(name) && field.default === undefined;
      const fallback = field.default === undefined ? '' : `\`${JSON.stringify(field.default)}\``;
      return `| \`${name}\` | ${escape(typeOf(field))} | ${isRequired ? 'yes' : 'no'} | ${escape(fallback)} | ${escape(field.description ?? '')} |`;
    }),
  ];
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map(typeOf).join(' or ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.type === 'object') {
    if (schema.properties) return `mapping (${Object.keys(schema.properties).map((k) => `\`${k}\``).join(', ')})`;
    return typeof schema.additionalProperties === 'object' ? `mapping of name → ${typeOf(schema.additionalProperties)}` : 'mapping';
  }
  if (schema.type === 'integer') return 'whole number';
  if (Array.isArray(schema.type)) return schema.type.join(' or ');
  return schema.type ?? 'any';
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
