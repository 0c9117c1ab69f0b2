import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { compareRows, describeRowsExpectation } from './shared/rows.js';
import { serverErrorOf } from './shared/serverErrors.js';
import { inReadOnlyTransaction, inWriteTransaction } from './shared/transactions.js';
import { runStatement } from '../db/transaction.js';
import { jsonSafe } from './shared/values.js';
import { roleName, setLocalRole } from './shared/roles.js';
import type { StepKind } from './types.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const cell = z.unknown();

const schema = z.strictObject({
  query: z
    .string()
    .trim()
    .min(1, 'query is empty')
    .describe(
      'one SQL statement (not COMMIT, ROLLBACK, BEGIN, SAVEPOINT or RELEASE: shipcheck owns the transaction); $1, $2… refer to params',
    ),
  params: z
    .array(scalar)
    .optional()
    .describe('values for $1, $2… in order (string, number, boolean or null), bound, never spliced into the text'),
  expect: z
    .strictObject({
      rows: z
        .array(z.union([z.array(cell), z.record(z.string(), cell)]))
        .optional()
        .describe(
          'exactly these rows, in order (write an ORDER BY): a list matches every column in select order, a mapping only the columns it names',
        ),
      row_count: z.number().int().nonnegative().optional().describe('the exact number of rows returned'),
    })
    .refine((e) => e.rows !== undefined || e.row_count !== undefined, {
      message: 'expect needs rows, row_count or both',
    })
    .describe('what the query must return: rows, row_count or both'),
  as_role: roleName.optional(),
  mutates: z
    .boolean()
    .default(false)
    .describe(
      'false: runs in a READ ONLY transaction (a write fails with SQLSTATE 25006); true: a writable transaction that commits, under the advisory lock, and not re-run after an interruption without asking',
    ),
});

export type SqlSpec = z.infer<typeof schema>;

/** The rows kept in `observed`: enough to see what came back, not a table dump. */
const observedRowLimit = 50;

/**
 * `sql`: runs one query (parameters bound) and compares its rows with `expect`.
 *
 * @example
 * - id: verify-function
 *   kind: sql
 *   query: select proname, pronargs, prorettype::regtype::text from pg_proc where proname = $1
 *   params: [record_event]
 *   expect: { rows: [[record_event, 2, jsonb]] }
 */
export const sqlStep: StepKind<SqlSpec> = {
  kind: 'sql',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: true,
  // A write that was cut off may or may not have committed: running it again could apply it twice.
  traits: (spec) => (spec.mutates ? { mutates: true, idempotent: false } : {}),
  describe(spec) {
    const params = spec.params?.length ? `\n-- params: ${JSON.stringify(spec.params)}` : '';
    return {
      summary: `${spec.mutates ? 'run (mutating)' : 'run read-only'} and expect ${describeRowsExpectation(spec.expect)}`,
      detail: `${spec.query}${params}`,
    };
  },
  async run(spec, context) {
    const expected = describeRowsExpectation(spec.expect);
    const execute = async (client: Queryable) => {
      if (spec.as_role) await setLocalRole(client, spec.as_role, context.environment.name);
      try {
        const result = await runStatement(client, spec.query, spec.params ?? []);
        return { result };
      } catch (error) {
        return { error: serverErrorOf(error) };
      }
    };
    const attempt = spec.mutates
      ? await inWriteTransaction(context, execute, (r) => r.error === undefined)
      : await inReadOnlyTransaction(context, execute);

    if (attempt.error) {
      return {
        status: 'failed',
        expected,
        observed: { error: attempt.error },
        message: `the query failed: ${attempt.error.message} (SQLSTATE ${attempt.error.sqlState})`,
      };
    }
    const { rows } = attempt.result;
    const columns = columnsOf(rows);
    const comparison = compareRows(spec.expect, columns, rows);
    const observed = {
      row_count: rows.length,
      columns,
      rows: jsonSafe(rows.slice(0, observedRowLimit).map((row) => columns.map((c) => row[c]))),
      ...(rows.length > observedRowLimit && { rows_truncated: true }),
    };
    return comparison.ok
      ? { status: 'passed', expected, observed, message: `got ${expected}` }
      : {
          status: 'failed',
          expected,
          observed,
          message: `${comparison.problem!}${offendingRows(spec, columns, rows)}`,
        };
  },
};

/** A count that did not match says which rows came back (the first 10), so the failure can be acted on. */
function offendingRows(spec: SqlSpec, columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  if (spec.expect.row_count === undefined || rows.length === spec.expect.row_count || rows.length === 0) return '';
  const shown = rows.slice(0, 10).map((row) => `(${columns.map((c) => JSON.stringify(jsonSafe(row[c]))).join(', ')})`);
  return `: ${shown.join(', ')}${rows.length > 10 ? `, … ${rows.length - 10} more` : ''}`;
}

function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  return rows[0] ? Object.keys(rows[0]) : [];
}
