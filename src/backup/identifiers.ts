import { z } from 'zod';

/** `schema.table` as checklists write it: lower-case, unquoted identifiers. */
export const tableName = z
  .string()
  .regex(/^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$/, 'a table is schema.name in lower case, e.g. public.user_behaviors');

/**
 * Quotes an identifier for SQL text. Used only for names that come from the
 * catalog or passed `tableName`: identifiers cannot be bound parameters.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteQualified(qualified: string): string {
  const dot = qualified.indexOf('.');
  return `${quoteIdent(qualified.slice(0, dot))}.${quoteIdent(qualified.slice(dot + 1))}`;
}
