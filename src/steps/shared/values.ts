/**
 * How a value from a checklist (YAML: string, number, boolean, null, list, map) is
 * compared with a value node-pg returned. node-pg hands back int8 and numeric as
 * strings, regtype as text and timestamps as Date, so scalars compare by their text
 * form (5 matches "5"); json values compare structurally.
 */
export function sameValue(expected: unknown, observed: unknown): boolean {
  if (expected === null || observed === null || expected === undefined || observed === undefined) {
    return (expected ?? null) === (observed ?? null);
  }
  if (observed instanceof Date) return sameInstant(expected, observed);
  if (typeof expected === 'object' || typeof observed === 'object') {
    return canonicalJson(expected) === canonicalJson(observed);
  }
  return scalarText(expected) === scalarText(observed);
}

function sameInstant(expected: unknown, observed: Date): boolean {
  if (typeof expected !== 'string' && !(expected instanceof Date)) return false;
  const time = new Date(expected).getTime();
  return !Number.isNaN(time) && time === observed.getTime();
}

function scalarText(value: unknown): string {
  // 0.50 in YAML is the number 0.5; PostgreSQL's numeric may say "0.50": compare as numbers when both are.
  const text = String(value);
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? String(number) : text;
}

/** JSON with object keys sorted, so {a,b} equals {b,a}. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
  });
}

/** A value as the report shows it: Dates as ISO text, everything else JSON-safe. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown;
}
