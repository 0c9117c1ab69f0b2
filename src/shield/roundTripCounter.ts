import type { Queryable, QueryResult } from '../db/database.js';

export interface CountingQueryable extends Queryable {
  /** Round trips made through this wrapper. */
  readonly roundTrips: number;
}

/**
 * Wraps a Queryable to count one call's round trips. The Database's own counter
 * is pool-wide, so concurrent calls would blur each other's figures.
 */
export function countRoundTrips(inner: Queryable): CountingQueryable {
  let roundTrips = 0;
  return {
    get roundTrips() {
      return roundTrips;
    },
    query<Row extends object = Record<string, unknown>>(
      sql: string,
      params?: readonly unknown[],
    ): Promise<QueryResult<Row>> {
      roundTrips++;
      return inner.query<Row>(sql, params);
    },
  };
}
