import { canonicalJson, jsonSafe } from './values.js';

/**
 * The minimal JSON path checklists need: dotted keys and numeric indexes,
 * `severity_counts.medium`, `$.checks.0.status` or `$.items[0]`. No wildcards,
 * no filters: a check names one value.
 */
export function readPath(document: unknown, path: string): { found: boolean; value?: unknown } {
  let current: unknown = document;
  for (const segment of segments(path)) {
    if (current === null || typeof current !== 'object') return { found: false };
    if (Array.isArray(current)) {
      const index = Number(segment);
      if (!Number.isInteger(index) || index < 0 || index >= current.length) return { found: false };
      current = current[index];
    } else {
      if (!Object.hasOwn(current, segment)) return { found: false };
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return { found: true, value: current };
}

function segments(path: string): string[] {
  return path
    .replace(/^\$\.?/, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '');
}

export type JsonTypeName = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';

export function jsonTypeOf(value: unknown): JsonTypeName {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonTypeName;
}

export interface PathProblem {
  readonly path: string;
  readonly expected: unknown;
  readonly observed: unknown;
}

/** Each `path: value` that does not hold; values compare exactly (as JSON, keys in any order). */
export function checkValues(document: unknown, values: Readonly<Record<string, unknown>>): PathProblem[] {
  return Object.entries(values).flatMap(([path, expected]) => {
    const read = readPath(document, path);
    if (!read.found) return [{ path, expected, observed: '(missing)' }];
    return canonicalJson(jsonSafe(read.value)) === canonicalJson(expected)
      ? []
      : [{ path, expected, observed: read.value }];
  });
}

/** Each `path: type` that does not hold. */
export function checkTypes(document: unknown, types: Readonly<Record<string, JsonTypeName>>): PathProblem[] {
  return Object.entries(types).flatMap(([path, expected]) => {
    const read = readPath(document, path);
    if (!read.found) return [{ path, expected, observed: '(missing)' }];
    const observed = jsonTypeOf(read.value);
    return observed === expected ? [] : [{ path, expected, observed }];
  });
}

export function describeProblems(problems: readonly PathProblem[], what: 'is' | 'has type'): string[] {
  return problems.map((p) =>
    p.observed === '(missing)'
      ? `${p.path} is missing`
      : `${p.path} ${what} ${JSON.stringify(p.observed)}, expected ${JSON.stringify(p.expected)}`,
  );
}
