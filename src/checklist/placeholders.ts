/**
 * Values `shipcheck init` leaves for the team to write start with this; a checklist holding one
 * does not load, so nothing unfinished runs by accident.
 */
export const placeholderPrefix = 'TODO(init)';

/** Reports every string value (at any depth) that is still a placeholder, with its path. */
export function checkPlaceholders(
  raw: unknown,
  add: (path: readonly PropertyKey[], message: string) => void,
  path: readonly PropertyKey[] = [],
): void {
  if (typeof raw === 'string') {
    if (raw.trimStart().startsWith(placeholderPrefix))
      add(path, `placeholder left by shipcheck init, replace it: ${raw.trim().split('\n')[0]}`);
  } else if (Array.isArray(raw)) {
    for (const [index, value] of raw.entries()) checkPlaceholders(value, add, [...path, index]);
  } else if (raw !== null && typeof raw === 'object') {
    for (const [key, value] of Object.entries(raw)) checkPlaceholders(value, add, [...path, key]);
  }
}
