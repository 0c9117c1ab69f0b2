import type { Queryable } from '../database.js';

/**
 * The qualified, quoted name of an INVALID index called `name` (in `schema`, or any schema
 * on the search path when none is written), or undefined. An interrupted CREATE INDEX
 * CONCURRENTLY leaves one behind: it costs writes and serves no query.
 */
export async function findInvalidIndex(client: Queryable, name: string, schema?: string): Promise<string | undefined> {
  const { rows } = await client.query<{ qualified: string }>(
    `select pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) as qualified
       from pg_catalog.pg_index i
       join pg_catalog.pg_class c on c.oid = i.indexrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relname = $1
        and not i.indisvalid
        and ($2::text is null and n.nspname = any (pg_catalog.current_schemas(false)) or n.nspname = $2)`,
    [name, schema ?? null],
  );
  return rows[0]?.qualified;
}
