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

/**
 * An identifier as a person would write it in a script they review and edit (`shipcheck
 * init`'s draft revert scripts): bare when it is plain lower case, quoted otherwise. It does
 * not know PostgreSQL's reserved words, so it is not for SQL that runs unseen.
 */
export function readableIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name);
}

/** `schema.name` with each part as readableIdent writes it. */
export function readableQualified(qualified: string): string {
  const dot = qualified.indexOf('.');
  return `${readableIdent(qualified.slice(0, dot))}.${readableIdent(qualified.slice(dot + 1))}`;
}
