import { createHash } from 'node:crypto';
import pg from 'pg';
import { DatabaseError } from '../errors.js';
import { inTransaction } from './transaction.js';

/** Anything that runs a query: the pool itself or a client inside a transaction. */
export interface Queryable {
  query<Row extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
}

export interface QueryOptions {
  /**
   * Send the text with the extended protocol even without parameters: the server then
   * accepts one statement only, so SQL from a checklist cannot append `; commit`.
   */
  readonly singleStatement?: boolean;
}

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
  command: string;
}

export interface DatabaseOptions {
  /** Pool size; concurrency tests need as many as they fire at once. */
  max?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
  /** lock_timeout on every connection: a statement waiting this long for a lock fails with 55P03. */
  lockTimeoutMs?: number;
  /** How long a query waits for a free connection (or a new one) before it fails, instead of queueing forever. */
  connectionTimeoutMs?: number;
  /**
   * Send parameterised queries as named prepared statements: parsed and planned once per
   * connection, then only bound and executed (pgbench -M prepared), instead of parsed
   * again on every call. Off by default: a pooler in transaction mode (PgBouncer before
   * 1.21) cannot keep named statements, and the gain is CPU per call (docs/performance.md).
   */
  preparedStatements?: boolean;
}

/**
 * The one way shipcheck talks to PostgreSQL: a pool, a transaction helper, an
 * advisory-lock helper and a round-trip counter (the "DB calls per action" figure).
 *
 * @example
 * const db = Database.connect(process.env.DATABASE_URL!);
 * const { rows } = await db.query<{ n: number }>('select $1::int as n', [1]);
 * await db.close();
 */
export class Database implements Queryable {
  readonly #pool: pg.Pool;
  #statementNames: Map<string, string> | undefined;
  #roundTrips = 0;

  private constructor(pool: pg.Pool, preparedStatements: boolean) {
    this.#pool = pool;
    this.#statementNames = preparedStatements ? new Map() : undefined;
    // An idle client that loses its connection must not crash the process.
    this.#pool.on('error', () => {});
  }

  static connect(connectionString: string, options: DatabaseOptions = {}): Database {
    return new Database(
      new pg.Pool({
        connectionString,
        max: options.max ?? 10,
        application_name: options.applicationName ?? 'shipcheck',
        ...(options.statementTimeoutMs !== undefined && { statement_timeout: options.statementTimeoutMs }),
        ...(options.lockTimeoutMs !== undefined && { lock_timeout: options.lockTimeoutMs }),
        ...(options.connectionTimeoutMs !== undefined && { connectionTimeoutMillis: options.connectionTimeoutMs }),
      }),
      options.preparedStatements ?? false,
    );
  }

  /** Round trips made through this pool since it was opened (or last reset). */
  get roundTrips(): number {
    return this.#roundTrips;
  }

  resetRoundTrips(): void {
    this.#roundTrips = 0;
  }

  async query<Row extends object = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<QueryResult<Row>> {
    return this.#run(this.#pool, sql, params, options);
  }

  /** Runs `work` on one connection inside BEGIN … COMMIT; any throw rolls back. */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.withClient((client) => inTransaction(client, work));
  }

  /** Runs `work` on one dedicated connection (session settings, session locks). */
  async withClient<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    let raw: pg.PoolClient;
    try {
      raw = await this.#pool.connect();
    } catch (error) {
      throw toDatabaseError(error);
    }
    const client: Queryable = {
      query: <Row extends object>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}) =>
        this.#run<Row>(raw, sql, params, options),
    };
    let broken = false;
    // A held connection the server drops between two queries (a restart, a shutdown) emits
    // 'error', which the pool listens for only on idle ones: unheard, it would crash the
    // process. Its next query fails instead, and it is not returned to the pool.
    const lost = () => {
      broken = true;
    };
    raw.on('error', lost);
    try {
      return await work(client);
    } catch (error) {
      broken ||= error instanceof DatabaseError && error.sqlState === undefined;
      throw error;
    } finally {
      raw.off('error', lost);
      raw.release(broken);
    }
  }

  /**
   * Runs `work` on a connection of its own outside the pool (with the pool's settings), so a
   * caller that already holds every pooled connection (max: 1) can still open a second one.
   */
  async withSeparateClient<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const raw = new pg.Client(this.#pool.options);
    raw.on('error', () => {});
    try {
      await raw.connect();
    } catch (error) {
      throw toDatabaseError(error);
    }
    try {
      return await work({
        query: <Row extends object>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}) =>
          this.#run<Row>(raw, sql, params, options),
      });
    } finally {
      await raw.end().catch(() => {});
    }
  }

  /**
   * Stops sending named prepared statements: behind a transaction-mode pooler a statement
   * prepared on one server connection is unknown on the next (src/db/poolerDetection.ts).
   */
  disablePreparedStatements(): void {
    this.#statementNames = undefined;
  }

  get preparedStatements(): boolean {
    return this.#statementNames !== undefined;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #run<Row extends object>(
    on: pg.Pool | pg.PoolClient | pg.Client,
    sql: string,
    params: readonly unknown[],
    options: QueryOptions,
  ): Promise<QueryResult<Row>> {
    this.#roundTrips++;
    try {
      return toQueryResult(await on.query<Row>(this.#queryConfig(sql, params, options)));
    } catch (error) {
      throw toDatabaseError(error, sql);
    }
  }

  /**
   * A query without parameters stays on the simple protocol either way, so multi-statement
   * scripts (migrations) keep working. The name is derived from the text: node-postgres
   * parses a name once per connection and refuses one name for two texts.
   */
  #queryConfig(sql: string, params: readonly unknown[], options: QueryOptions): pg.QueryConfig {
    const values = params as unknown[];
    if (this.#statementNames === undefined || values.length === 0) return driverQuery(sql, params, options);
    let name = this.#statementNames.get(sql);
    if (name === undefined) {
      name = `shipcheck_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
      this.#statementNames.set(sql, name);
    }
    return { name, text: sql, values };
  }
}

/** node-postgres reads `queryMode` (lib/query.js); @types/pg does not list it. */
export function driverQuery(sql: string, params: readonly unknown[], options: QueryOptions): pg.QueryConfig {
  const config: pg.QueryConfig & { queryMode?: 'extended' } = { text: sql, values: params as unknown[] };
  if (options.singleStatement) config.queryMode = 'extended';
  return config;
}

/**
 * The driver's answer as shipcheck's QueryResult. A script of several statements (simple
 * protocol) answers with one result per statement; the last one counts.
 */
export function toQueryResult<Row extends object>(
  result: pg.QueryResult<Row> | pg.QueryResult<Row>[],
): QueryResult<Row> {
  const last = (Array.isArray(result) ? result.at(-1) : result)!;
  return { rows: last.rows, rowCount: last.rowCount ?? 0, command: last.command };
}

/** Turns a driver error into a DatabaseError that keeps PostgreSQL's fields. */
export function toDatabaseError(error: unknown, sql?: string): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const e = error as Partial<pg.DatabaseError> & { message?: string; code?: string };
  const isServerError = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
  const message = isServerError ? (e.message ?? 'database error') : connectionFailureMessage(e);
  return new DatabaseError(message, {
    ...(isServerError && { sqlState: e.code }),
    ...(e.detail && { detail: e.detail }),
    ...(e.hint && { hint: e.hint }),
    ...(e.position && { position: Number(e.position) }),
    ...(sql !== undefined && { sql }),
    cause: error,
  });
}

function connectionFailureMessage(e: { message?: string; code?: string }): string {
  // Driver messages for refused connections can embed the host; they never embed the password.
  const reason = e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? 'unknown error');
  return `could not talk to the database (${reason.trim()})`;
}
