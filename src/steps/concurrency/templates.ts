import { randomUUID } from 'node:crypto';

export type TemplateValue = string | number | boolean | null;

/** What a template may refer to: the call's index and the run's id. */
export interface TemplateScope {
  readonly i: number;
  readonly runId: string;
}

const placeholder = /\{(i|run_id|random_uuid)\}/g;

/** The placeholders an argument or parameter may use; anything else in braces stays as written. */
export const templatePlaceholders = ['{i}', '{run_id}', '{random_uuid}'] as const;

/**
 * Fills `{i}` (0-based call index), `{run_id}` and `{random_uuid}` (new per value) in the
 * string values; a value that is exactly `{i}` becomes the number itself.
 *
 * @example
 * expandTemplate('user-{i}', { i: 3, runId: 'r1' }) // 'user-3'
 */
export function expandTemplate(value: TemplateValue, scope: TemplateScope): TemplateValue {
  if (typeof value !== 'string') return value;
  if (value === '{i}') return scope.i;
  return value.replace(placeholder, (_, name: string) => {
    if (name === 'i') return String(scope.i);
    if (name === 'run_id') return scope.runId;
    return randomUUID();
  });
}
