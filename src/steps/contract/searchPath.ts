/**
 * The schemas of a `search_path` setting as PostgreSQL stores it in proconfig
 * (`pg_catalog, "my schema", pg_temp`), in order, unquoted. `$user` stays `$user`.
 *
 * @example
 * parseSearchPath('pg_catalog, "Odd, name", pg_temp') // ['pg_catalog', 'Odd, name', 'pg_temp']
 */
export function parseSearchPath(setting: string): string[] {
  const schemas: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < setting.length; i++) {
    const char = setting[i]!;
    if (char === '"') {
      // "" inside quotes is one quote character.
      if (quoted && setting[i + 1] === '"') {
        current += '"';
        i++;
      } else {
        quoted = !quoted;
      }
    } else if (char === ',' && !quoted) {
      schemas.push(current.trim());
      current = '';
    } else {
      current += quoted ? char : char.toLowerCase();
    }
  }
  schemas.push(current.trim());
  return schemas.filter((s) => s.length > 0);
}

/**
 * Whether pg_temp comes last. PostgreSQL searches the session's temporary schema FIRST for
 * relations and types unless the path names it, so a path without pg_temp is not pinned.
 */
export function tempSchemaLast(schemas: readonly string[]): boolean {
  return schemas.at(-1) === 'pg_temp' && schemas.indexOf('pg_temp') === schemas.length - 1;
}
