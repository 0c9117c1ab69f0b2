import { quoteIdent } from '../backup/identifiers.js';
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import type { FunctionSource } from './functionSource.js';

const statementCallsSql = sqlFile(import.meta.url, './statement_calls.sql');

type StatementsSource = Extract<FunctionSource, { source: 'pg_stat_statements' }>;

/**
 * The SQL of a .sql file that reads pg_stat_statements, with the view named in the schema the
 * extension was installed in. The schema comes from pg_extension, quoted: identifiers cannot
 * be bound parameters, and the view is often outside search_path (e.g. an `extensions` schema).
 */
export function withStatementsView(sql: string, schema: string): string {
  return sql.replaceAll('{{statements_view}}', `${quoteIdent(schema)}.pg_stat_statements`);
}

/** Cumulative calls and execution time (ms) of the statements calling the function. */
export async function readStatementCalls(
  db: Queryable,
  source: StatementsSource,
): Promise<{ calls: number; totalMs: number }> {
  const { rows } = await db.query<{ calls: string; total_ms: number }>(
    withStatementsView(statementCallsSql, source.schema),
    [source.statements_matching, source.statements_not_matching],
  );
  return { calls: Number(rows[0]!.calls), totalMs: Number(rows[0]!.total_ms) };
}
