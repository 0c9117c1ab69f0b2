import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { schemaFields } from '../../../src/checklist/schemaFields.js';

describe('schemaFields', () => {
  it('lists nested fields by dotted path, each after its parent, with type, required, default and description', () => {
    const schema = z.strictObject({
      name: z.string().describe('what it is called'),
      expect: z
        .strictObject({
          row_count: z.number().int().describe('exact number of rows'),
          columns: z.array(z.string()).optional().describe('column names'),
        })
        .optional()
        .describe('what must come back'),
      mode: z.enum(['fast', 'safe']).default('safe').describe('how to run'),
    });
    expect(schemaFields(schema)).toEqual([
      { path: 'name', type: 'string', required: true, description: 'what it is called' },
      { path: 'expect', type: 'mapping', required: false, description: 'what must come back' },
      { path: 'expect.row_count', type: 'whole number', required: true, description: 'exact number of rows' },
      { path: 'expect.columns', type: 'list of string', required: false, description: 'column names' },
      { path: 'mode', type: '`fast` | `safe`', required: false, default: 'safe', description: 'how to run' },
    ]);
  });

  it('goes through lists ([]) and name → value mappings (<name>)', () => {
    const schema = z.strictObject({
      hosts: z.array(z.strictObject({ port: z.number().int().default(5432).describe('port') })).describe('hosts'),
      envs: z.record(z.string(), z.strictObject({ url_env: z.string().describe('variable') })).describe('environments'),
      labels: z.record(z.string(), z.unknown()).optional().describe('free labels'),
    });
    expect(schemaFields(schema).map((f) => [f.path, f.type])).toEqual([
      ['hosts', 'list of mapping'],
      ['hosts[].port', 'whole number'],
      ['envs', 'mapping of name → mapping'],
      ['envs.<name>.url_env', 'string'],
      ['labels', 'mapping'],
    ]);
  });

  it("marks the fields of one of several forms with that form's keys, since only that form requires them", () => {
    const schema = z.strictObject({
      requires: z
        .array(
          z.union([
            z.strictObject({ phase: z.string().describe('a phase id') }),
            z.strictObject({
              approval: z.string().describe('an approval id'),
              decision: z.enum(['yes', 'no']).default('yes').describe('d'),
            }),
          ]),
        )
        .describe('requirements'),
      argument: z.union([z.string(), z.strictObject({ type: z.string().describe('a type') })]).describe('an argument'),
    });
    const fields = schemaFields(schema);
    expect(fields.map((f) => f.path)).toEqual([
      'requires',
      'requires[].phase',
      'requires[].approval',
      'requires[].decision',
      'argument',
      'argument.type',
    ]);
    expect(fields[0]!.type).toBe('list of mapping (`phase`) or mapping (`approval`, `decision`)');
    expect(fields.find((f) => f.path === 'requires[].approval')).toMatchObject({
      required: true,
      form: ['approval', 'decision'],
    });
    expect(fields.find((f) => f.path === 'requires[].decision')).toMatchObject({ required: false, default: 'yes' });
    expect(fields.find((f) => f.path === 'argument.type')).toMatchObject({ required: true, form: ['type'] });
  });

  it('leaves a field without .describe() with an empty description, for the reference test to catch', () => {
    expect(schemaFields(z.strictObject({ bare: z.boolean() }))).toEqual([
      { path: 'bare', type: 'boolean', required: true, description: '' },
    ]);
  });
});
