import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import type { ObservedFunction } from './contract/checks.js';
import { type FunctionName, functionName } from './shared/functionName.js';
import { checkTypes, checkValues, describeProblems, readPath } from './shared/jsonPath.js';
import { type ObservedServerError, serverErrorOf } from './shared/serverErrors.js';
import { runStatement } from '../db/transaction.js';
import { setLocalRole, roleName } from './shared/roles.js';
import { compareRows, describeRowsExpectation } from './shared/rows.js';
import { inWriteTransaction } from './shared/transactions.js';
import { jsonSafe } from './shared/values.js';
import type { StepKind, StepOutcome } from './types.js';

const functionSql = sqlFile(import.meta.url, './shared/function.sql');

const schema = z.strictObject({
  function: functionName.describe(
    'the function to call: schema.name in lower case (no schema: public); the overload taking as many arguments as args',
  ),
  args: z
    .array(z.unknown())
    .describe(
      "one value per argument, in order, each cast to its parameter's type; objects and arrays go as JSON to json/jsonb parameters",
    ),
  reset: z
    .union([z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1)])
    .optional()
    .describe(
      "SQL run just before the call, in the call's transaction (one statement, or a list), so a re-run starts from the same state, e.g. delete from t where id = 'x'",
    ),
  expect: z
    .strictObject({
      error: z
        .strictObject({
          sqlstate: z
            .string()
            .regex(/^[0-9A-Z]{5}$/, 'sqlstate is a five-character SQLSTATE like 42501')
            .describe('the SQLSTATE the call must fail with, e.g. 42501 (insufficient privilege)'),
          message_contains: z.string().min(1).optional().describe('a text the error message must contain'),
        })
        .optional()
        .describe(
          'the call must be refused: it passes only when it raises this error (e.g. anon must not be able to call it); nothing it did is kept',
        ),
      keys: z
        .array(z.string().min(1))
        .default([])
        .describe('paths that must exist in the JSON object returned (dotted, e.g. severity_counts.medium)'),
      values: z
        .record(z.string().min(1), z.unknown())
        .optional()
        .describe('path: value pairs the result must hold, compared as JSON'),
      types: z
        .record(z.string().min(1), z.enum(['string', 'number', 'boolean', 'object', 'array', 'null']))
        .optional()
        .describe('path: JSON type pairs (string, number, boolean, object, array, null)'),
    })
    .refine((e) => e.error === undefined || (e.keys.length === 0 && !e.values && !e.types), {
      message: 'expect.error cannot be combined with keys, values or types: a refused call returns nothing',
    })
    .default({ keys: [] })
    .describe(
      'what the call must return; any clause makes a result that is not a JSON object fail. An error raised by the call fails the step unless expect.error names it. Omitted: the call must succeed (a void function passes on returning)',
    ),
  follow_up: z
    .strictObject({
      query: z
        .string()
        .trim()
        .min(1)
        .describe("a query run after the call in its transaction (it sees the call's writes)"),
      params: z
        .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
        .optional()
        .describe('values for $1, $2…'),
      rows: z
        .array(z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]))
        .optional()
        .describe("exactly these rows, as the sql step's expect.rows"),
      row_count: z.number().int().nonnegative().optional().describe('the exact number of rows returned'),
    })
    .refine((t) => t.rows !== undefined || t.row_count !== undefined, {
      message: 'follow_up needs rows, row_count or both',
    })
    .optional()
    .describe('a follow-up check of what the call did, e.g. for a void function: the row it must have written'),
  as_role: roleName.optional(),
  cleanup: z
    .boolean()
    .default(false)
    .describe(
      "true: roll the call's transaction back once the result is read; false: the row it wrote stays as evidence",
    ),
});

export type RpcSpec = z.infer<typeof schema>;

/**
 * `rpc`: calls a function once with typed arguments and checks the JSON it returns
 * (the seed's "Manual RPC Test").
 *
 * @example
 * - id: manual-rpc-test
 *   kind: rpc
 *   function: public.record_event
 *   args: [00000000-0000-0000-0000-000000000001, { kind: signup, source: web }]
 *   expect: { keys: [id, total], values: { total: 1 } }
 */
export const rpcStep: StepKind<RpcSpec> = {
  kind: 'rpc',
  schema,
  idempotent: false,
  mutates: true,
  rehearsable: true,
  describe(spec) {
    return {
      summary: `call ${spec.function.qualified}${spec.as_role ? ` as ${spec.as_role}` : ''} and expect ${expectedText(spec)}${spec.cleanup ? ' (rolled back afterwards)' : ''}`,
      detail: [
        ...(spec.reset === undefined ? [] : Array.isArray(spec.reset) ? spec.reset : [spec.reset]).map(
          (sql) => `-- reset: ${sql}`,
        ),
        `select ${spec.function.qualified}(${spec.args.map(sqlLiteral).join(', ')})`,
        ...(spec.follow_up
          ? [`-- then expect ${describeRowsExpectation(spec.follow_up)}: ${spec.follow_up.query}`]
          : []),
      ].join('\n'),
    };
  },
  async run(spec, context) {
    const expected = expectedText(spec);
    const attempt = await inWriteTransaction(
      context,
      (client) => call(client, spec, context.environment.name),
      (result) => !spec.cleanup && !('error' in result) && !('problem' in result),
    );
    if (spec.expect.error) return judgeRefusal(spec, expected, attempt);
    if ('error' in attempt) {
      return {
        status: 'failed',
        expected,
        observed: { error: attempt.error },
        message: `${spec.function.qualified} raised ${attempt.error.sqlState}: ${attempt.error.message}`,
      };
    }
    if ('problem' in attempt) return { status: 'failed', expected, observed: {}, message: attempt.problem };
    const outcome = judge(spec, expected, attempt.signature, attempt.result);
    if (outcome.status !== 'passed' || !attempt.follow_up) return outcome;
    const observed = { ...(outcome.observed as object), follow_up: attempt.follow_up.observed };
    return attempt.follow_up.problem
      ? {
          ...outcome,
          status: 'failed',
          observed,
          message: `${spec.function.qualified} returned, but the follow-up query: ${attempt.follow_up.problem}`,
        }
      : {
          ...outcome,
          observed,
          message: `${outcome.message}; the follow-up query got ${describeRowsExpectation(spec.follow_up!)}`,
        };
  },
};

/** With expect.error the refusal is the expected result: any other outcome fails, saying what happened instead. */
function judgeRefusal(spec: RpcSpec, expected: string, attempt: CallResult): StepOutcome {
  const wanted = spec.expect.error!;
  if ('problem' in attempt) return { status: 'failed', expected, observed: {}, message: attempt.problem };
  if (!('error' in attempt)) {
    return {
      status: 'failed',
      expected,
      observed: { signature: attempt.signature, result: jsonSafe(attempt.result ?? null) },
      message: `${spec.function.qualified} returned ${JSON.stringify(jsonSafe(attempt.result ?? null))}, expected it to be refused with ${wanted.sqlstate}`,
    };
  }
  const { error } = attempt;
  const sameState = error.sqlState === wanted.sqlstate;
  const sameText = wanted.message_contains === undefined || error.message.includes(wanted.message_contains);
  return sameState && sameText
    ? {
        status: 'passed',
        expected,
        observed: { error },
        message: `${spec.function.qualified} was refused as expected: ${error.sqlState} ${error.message}`,
      }
    : {
        status: 'failed',
        expected,
        observed: { error },
        message: `${spec.function.qualified} raised ${error.sqlState}: ${error.message}; expected ${wanted.sqlstate}${wanted.message_contains ? ` with "${wanted.message_contains}"` : ''}`,
      };
}

type CallResult =
  | { signature: string; result: unknown; follow_up?: { observed: unknown; problem?: string } }
  | { error: ObservedServerError }
  | { problem: string };

async function call(client: Queryable, spec: RpcSpec, environment: string): Promise<CallResult> {
  const target = await resolveSignature(client, spec.function, spec.args.length);
  if ('problem' in target) return target;
  const args = spec.args.map((value, i) => toParameter(value, target.argument_types[i]!));
  // The name passed the strict identifier pattern of `functionName`; the casts are the catalog's own format_type.
  const casts = target.argument_types.map((type, i) => `$${i + 1}::${type}`).join(', ');
  const reset = spec.reset === undefined ? [] : Array.isArray(spec.reset) ? spec.reset : [spec.reset];
  for (const statement of reset) await runStatement(client, statement);
  if (spec.as_role) await setLocalRole(client, spec.as_role, environment);
  let result: unknown;
  try {
    const { rows } = await client.query<{ result: unknown }>(
      `select ${spec.function.qualified}(${casts}) as result`,
      args,
    );
    result = rows[0]?.result;
  } catch (error) {
    return { error: serverErrorOf(error) };
  }
  if (spec.as_role) await client.query('reset role');
  if (!spec.follow_up) return { signature: target.signature, result };
  const { rows } = await runStatement(client, spec.follow_up.query, spec.follow_up.params ?? []);
  const columns = rows[0] ? Object.keys(rows[0]) : [];
  const comparison = compareRows(spec.follow_up, columns, rows);
  const observed = {
    row_count: rows.length,
    columns,
    rows: jsonSafe(rows.slice(0, 10).map((row) => columns.map((c) => row[c]))),
  };
  return {
    signature: target.signature,
    result,
    follow_up: { observed, ...(comparison.problem !== undefined && { problem: comparison.problem }) },
  };
}

async function resolveSignature(client: Queryable, name: FunctionName, argumentCount: number) {
  const { rows } = await client.query<ObservedFunction>(functionSql, [name.schema, name.name]);
  const candidates = rows.filter((r) => r.argument_types.length === argumentCount);
  if (rows.length === 0) return { problem: `function ${name.qualified} does not exist` };
  if (candidates.length !== 1) {
    return {
      problem: `${candidates.length === 0 ? 'no' : candidates.length} overload${candidates.length === 1 ? '' : 's'} of ${name.qualified} take${candidates.length === 1 ? 's' : ''} ${argumentCount} arguments (there is ${rows.map((r) => r.signature).join(', ')})`,
    };
  }
  return candidates[0]!;
}

/** How an argument reads in plan (the call itself binds it as a parameter). */
function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text.replace(/'/g, "''")}'`;
}

function toParameter(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'json' || type === 'jsonb') return JSON.stringify(value);
  return value;
}

function judge(spec: RpcSpec, expected: string, signature: string, result: unknown): StepOutcome {
  const observed = { signature, result: jsonSafe(result ?? null), rolled_back: spec.cleanup };
  const problems: string[] = [];
  if (spec.expect.keys.length > 0 || spec.expect.values || spec.expect.types) {
    if (result === null || typeof result !== 'object' || Array.isArray(result)) {
      problems.push(`the result is ${JSON.stringify(result ?? null)}, not a JSON object`);
    } else {
      const missing = spec.expect.keys.filter((key) => !readPath(result, key).found);
      if (missing.length > 0) problems.push(`missing key${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
      problems.push(...describeProblems(checkValues(result, spec.expect.values ?? {}), 'is'));
      problems.push(...describeProblems(checkTypes(result, spec.expect.types ?? {}), 'has type'));
    }
  }
  return problems.length === 0
    ? { status: 'passed', expected, observed, message: `${spec.function.qualified} returned ${expected}` }
    : {
        status: 'failed',
        expected,
        observed,
        message: `${spec.function.qualified} returned a result where ${problems.join('; ')}`,
      };
}

function expectedText(spec: RpcSpec): string {
  if (spec.expect.error) return `a refusal with SQLSTATE ${spec.expect.error.sqlstate}`;
  const parts: string[] = [];
  if (spec.expect.keys.length) parts.push(`keys ${spec.expect.keys.join(', ')}`);
  for (const [path, value] of Object.entries(spec.expect.values ?? {}))
    parts.push(`${path} = ${JSON.stringify(value)}`);
  for (const [path, type] of Object.entries(spec.expect.types ?? {})) parts.push(`${path}: ${type}`);
  return parts.length ? `a JSON object with ${parts.join(', ')}` : 'a successful call';
}
