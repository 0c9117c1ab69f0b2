import { jsonSafe, sameValue } from './values.js';

export type ExpectedRow = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface RowsExpectation {
  readonly rows?: readonly ExpectedRow[] | undefined;
  readonly row_count?: number | undefined;
}

export interface RowsComparison {
  readonly ok: boolean;
  /** Why not, naming the first row and column that differ. */
  readonly problem?: string;
}

/**
 * Compares a result with the expectation. Rows are compared in order (write an
 * ORDER BY); a positional row ([a, b]) matches the columns in select order, a named
 * row ({col: value}) matches only the columns it names.
 */
export function compareRows(
  expectation: RowsExpectation,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): RowsComparison {
  if (expectation.row_count !== undefined && rows.length !== expectation.row_count) {
    return { ok: false, problem: `expected ${plural(expectation.row_count)}, got ${plural(rows.length)}` };
  }
  const expectedRows = expectation.rows;
  if (expectedRows === undefined) return { ok: true };
  if (rows.length !== expectedRows.length) {
    return { ok: false, problem: `expected ${plural(expectedRows.length)}, got ${plural(rows.length)}` };
  }
  for (const [index, expected] of expectedRows.entries()) {
    const problem = compareRow(expected, columns, rows[index]!);
    if (problem) return { ok: false, problem: `row ${index + 1}: ${problem}` };
  }
  return { ok: true };
}

function compareRow(
  expected: ExpectedRow,
  columns: readonly string[],
  row: Record<string, unknown>,
): string | undefined {
  if (Array.isArray(expected)) {
    if (expected.length !== columns.length) {
      return `expected ${expected.length} columns, the query returns ${columns.length} (${columns.join(', ')})`;
    }
    for (const [i, value] of expected.entries()) {
      const column = columns[i]!;
      if (!sameValue(value, row[column])) return differs(column, value, row[column]);
    }
    return undefined;
  }
  for (const [column, value] of Object.entries(expected)) {
    if (!(column in row)) return `the query returns no column "${column}" (it returns ${columns.join(', ')})`;
    if (!sameValue(value, row[column])) return differs(column, value, row[column]);
  }
  return undefined;
}

function differs(column: string, expected: unknown, observed: unknown): string {
  return `${column} is ${JSON.stringify(jsonSafe(observed))}, expected ${JSON.stringify(expected)}`;
}

/** "1 row (record_event, 5, jsonb)": how a checklist writes an expectation by hand. */
export function describeRowsExpectation(expectation: RowsExpectation): string {
  const parts: string[] = [];
  const rows = expectation.rows;
  const count = expectation.row_count ?? rows?.length;
  if (count !== undefined) parts.push(plural(count));
  if (rows && rows.length > 0) {
    parts.push(
      rows
        .map(
          (row) =>
            `(${(Array.isArray(row) ? row : Object.entries(row).map(([k, v]) => `${k}: ${String(v)}`)).map(String).join(', ')})`,
        )
        .join(', '),
    );
  }
  return parts.join(' ') || 'the query succeeds';
}

function plural(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}
