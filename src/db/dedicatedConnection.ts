import pg from 'pg';
import {
  driverQuery,
  type QueryOptions,
  type Queryable,
  type QueryResult,
  toDatabaseError,
  toQueryResult,
} from './database.js';

/**
 * One connection of its own, outside the pool, for what the pooled `Database`
 * cannot do: stream COPY (pg-copy-streams needs the raw client), hear notices and
 * whole command tags. Its queries fail with the same DatabaseError as the pool's.
 */
export interface DedicatedConnection extends Queryable {
  /** The driver's client, for the protocol features the caller opened this connection for. */
  readonly client: pg.Client;
  close(): Promise<void>;
}

/**
 * @param listen attaches the caller's listeners before the connection opens, so nothing the
 *   server says from the start is missed.
 * @example
 * const connection = await openDedicatedConnection(url, 'shipcheck backup');
 * try { await connection.query('select 1'); } finally { await connection.close(); }
 */
export async function openDedicatedConnection(
  connectionString: string,
  applicationName: string,
  listen?: (client: pg.Client) => void,
): Promise<DedicatedConnection> {
  const client = new pg.Client({ connectionString, application_name: applicationName });
  // A connection that drops while idle must not crash the process; the next query reports it.
  client.on('error', () => {});
  listen?.(client);
  try {
    await client.connect();
  } catch (error) {
    throw toDatabaseError(error);
  }
  return {
    client,
    async query<Row extends object = Record<string, unknown>>(
      sql: string,
      params: readonly unknown[] = [],
      options: QueryOptions = {},
    ): Promise<QueryResult<Row>> {
      try {
        return toQueryResult(
          (await client.query<Row>(driverQuery(sql, params, options))) as pg.QueryResult<Row> | pg.QueryResult<Row>[],
        );
      } catch (error) {
        throw toDatabaseError(error, sql);
      }
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}
