import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import type { ObservedFunction } from './contract/checks.js';
import { type FunctionName, functionName } from './contract/spec.js';
import { checkTypes, checkValues, describeProblems, readPath } from './rpc/jsonPath.js';
import { type ObservedServerError, serverErrorOf } from './sql/serverErrors.js';
import { inWriteTransaction } from './sql/transactions.js';
import { jsonSafe } from './sql/values.js';
import type { StepKind, StepOutcome } from './types.js';

const functionSql = sqlFile(import.meta.url, './contract/function.sql');

const schema = z.strictObject({
  function: functionName.describe('the function to call: schema.name in lower case (no schema: public); the overload taking as many arguments as args'),
  /** One value per argument, in order; objects and arrays are sent as JSON to json/jsonb parameters. */
  args: z
    .array(z.unknown())
    .describe("one value per argument, in order, each cast to its parameter's type; objects and arrays go as JSON to json/jsonb parameters"),
  expect: z
    .strictObject({
      keys: z.array(z.string().min(1)).default([]).describe('paths that must exist in the JSON object returned (dotted, e.g. severity_counts.medium)'),
      values: z
        .record(z.string().min(1), z.unknown())
        .optional()
        .describe('path: value pairs the result must hold, compared as JSON'),
      types: z
        .record(z.string().min(1), z.enum(['string', 'number', 'boolean', 'object', 'array', 'null']))
        .optional()
        .describe('path: JSON type pairs (string, number, boolean, object, array, null)'),
    })
    .describe('what the call must return; any clause makes a result that is not a JSON object fail. An error raised by the call always fails the step'),
  /** Call as this role (SET LOCAL ROLE inside the call's transaction): RLS and grants then apply as to the app. */
  as_role: z
    .enum(['service_role', 'authenticated', 'anon'])
    .optional()
    .describe("SET LOCAL ROLE for the call, so grants and RLS apply as to the app (default: the connection's own role)"),
  /** Roll the call's writes back once the result is read. Off by default: the row it wrote stays as evidence. */
  cleanup: z
    .boolean()
    .default(false)
    .describe("true: roll the call's transaction back once the result is read; false: the row it wrote stays as evidence"),
});

export type RpcSpec = z.infer<typeof schema>;

/**
 * `rpc`: calls a function once with typed arguments and checks the JSON it returns
 * (the seed's "Manual RPC Test").
 *
 * @example
 * - id: manual-rpc-test
 *   kind: rpc
 *   function: public.atomic_update_user_behavior
 *   args: [00000000-0000-0000-0000-000000000001, twitter, test_migration_024, testuser_migration,
 *          { severity: medium, toxicity_score: 0.75, comment_id: test_comment, action_tags: [warning] }]
 *   expect: { keys: [user_id, total_violations, severity_counts, last_violation_at] }
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
      detail: `select ${spec.function.qualified}(${spec.args.map(sqlLiteral).join(', ')})`,
    };
  },
  async run(spec, context) {
    const expected = expectedText(spec);
    const attempt = await inWriteTransaction(
      context,
      (client) => call(client, spec),
      (result) => !spec.cleanup && !('error' in result),
    );
    if ('error' in attempt) {
      return {
        status: 'failed',
        expected,
        observed: { error: attempt.error },
        message: `${spec.function.qualified} raised ${attempt.error.sqlState}: ${attempt.error.message}`,
      };
    }
    if ('problem' in attempt) return { status: 'failed', expected, observed: {}, message: attempt.problem };
    return judge(spec, expected, attempt.signature, attempt.result);
  },
};

type CallResult =
  | { signature: string; result: unknown }
  | { error: ObservedServerError }
  | { problem: string };

async function call(client: Queryable, spec: RpcSpec): Promise<CallResult> {
  const target = await resolveSignature(client, spec.function, spec.args.length);
  if ('problem' in target) return target;
  const args = spec.args.map((value, i) => toParameter(value, target.argument_types[i]!));
  // The name passed the strict identifier pattern of `functionName`; the casts are the catalog's own format_type.
  const casts = target.argument_types.map((type, i) => `$${i + 1}::${type}`).join(', ');
  try {
    if (spec.as_role) await client.query(`set local role ${spec.as_role}`);
    const { rows } = await client.query<{ result: unknown }>(`select ${spec.function.qualified}(${casts}) as result`, args);
    if (spec.as_role) await client.query('reset role');
    return { signature: target.signature, result: rows[0]?.result };
  } catch (error) {
    return { error: serverErrorOf(error) };
  }
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
    : { status: 'failed', expected, observed, message: `${spec.function.qualified} returned a result where ${problems.join('; ')}` };
}

function expectedText(spec: RpcSpec): string {
  const parts: string[] = [];
  if (spec.expect.keys.length) parts.push(`keys ${spec.expect.keys.join(', ')}`);
  for (const [path, value] of Object.entries(spec.expect.values ?? {})) parts.push(`${path} = ${JSON.stringify(value)}`);
  for (const [path, type] of Object.entries(spec.expect.types ?? {})) parts.push(`${path}: ${type}`);
  return parts.length ? `a JSON object with ${parts.join(', ')}` : 'a successful call';
}
