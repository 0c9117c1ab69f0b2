import { z } from 'zod';

/** `schema.name` or `name` (then `public`): lower-case, unquoted identifiers, as the migrations write them. */
export const functionName = z
  .string()
  .regex(
    /^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$/,
    'function must be schema.name in lower case, e.g. public.record_event',
  )
  .transform((raw) => {
    const [schema, name] = raw.includes('.') ? (raw.split('.') as [string, string]) : ['public', raw];
    return { schema, name, qualified: `${schema}.${name}` };
  });

export type FunctionName = z.output<typeof functionName>;
