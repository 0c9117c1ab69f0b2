import { z } from 'zod';

/** One field of the format, nested ones named by their dotted path (`expect.row_count`, `phases[].id`). */
export interface SchemaField {
  readonly path: string;
  /** How the value is written, in words (`list of string`, `whole number`, `` `stop` | `warn` ``). */
  readonly type: string;
  /** Required within its parent: a nested field is only asked for when its parent is given. */
  readonly required: boolean;
  /**
   * Set when the parent takes several forms (a string or a mapping, one mapping or another):
   * the keys of the form this field belongs to, since it is required only in that form.
   */
  readonly form?: readonly string[];
  readonly default?: unknown;
  readonly description: string;
}

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
};

/**
 * Every field of a zod object schema, depth first: each field followed by the fields
 * inside it, through nested mappings, lists (`[]`), name → value mappings (`<name>`)
 * and alternatives. Read from the input JSON Schema, so defaults make a field optional.
 *
 * @example
 * schemaFields(z.strictObject({ expect: z.strictObject({ row_count: z.number().int() }) }))
 * // → [{ path: 'expect', … }, { path: 'expect.row_count', type: 'whole number', required: true, … }]
 */
export function schemaFields(schema: z.ZodType): SchemaField[] {
  return fieldsInside(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, '');
}

/** How a value of this schema is written, in words, for a field's type column. */
function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  // Alternatives are told apart by their keys; a lone mapping's keys are the rows below it.
  if (union) return union.map((s) => (s.properties ? `mapping (${keyList(s.properties)})` : typeOf(s))).join(' or ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.type === 'object') {
    const values = schema.additionalProperties;
    // Values of any shape (a step, a JSON value) say nothing worth a "→ any".
    return typeof values === 'object' && Object.keys(values).length > 0 && !schema.properties
      ? `mapping of name → ${typeOf(values)}`
      : 'mapping';
  }
  if (schema.type === 'integer') return 'whole number';
  if (Array.isArray(schema.type)) return schema.type.join(' or ');
  return schema.type ?? 'any';
}

function fieldsInside(schema: JsonSchema, path: string, form?: readonly string[]): SchemaField[] {
  if (schema.properties) return objectFields(schema, path, form);
  if (schema.type === 'array' && schema.items) return fieldsInside(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object')
    return fieldsInside(schema.additionalProperties, join(path, '<name>'));
  const alternatives = schema.anyOf ?? schema.oneOf ?? [];
  return alternatives.flatMap((alternative) =>
    fieldsInside(
      alternative,
      path,
      alternatives.length > 1 && alternative.properties ? Object.keys(alternative.properties) : undefined,
    ),
  );
}

function objectFields(schema: JsonSchema, path: string, form: readonly string[] | undefined): SchemaField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([name, field]) => {
    const fieldPath = join(path, name);
    const own: SchemaField = {
      path: fieldPath,
      type: typeOf(field),
      required: required.has(name) && field.default === undefined,
      ...(form && { form }),
      ...(field.default !== undefined && { default: field.default }),
      description: field.description ?? '',
    };
    return [own, ...fieldsInside(field, fieldPath)];
  });
}

function keyList(properties: Record<string, unknown>): string {
  return Object.keys(properties)
    .map((key) => `\`${key}\``)
    .join(', ');
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
