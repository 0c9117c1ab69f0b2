import { z } from 'zod';
import { runBurst } from '../../db/burst.js';
import { Database, type Queryable } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { UsageError } from '../../errors.js';
import { summarizeLatencies } from '../../metrics/latency.js';
import { compareRows, describeRowsExpectation } from '../shared/rows.js';
import { jsonSafe } from '../shared/values.js';
import type { StepContext, StepOutcome } from '../types.js';
import { expandTemplate, type TemplateValue } from './templates.js';

const identifier = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const functionName = /^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/;
const templateValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const genericConcurrencySchema = z.strictObject({
  preset: z
    .undefined()
    .optional()
    .describe('absent for the generic form; a preset name (shield_violations) selects that preset and its fields'),
  call: z
    .string()
    .regex(
      functionName,
      'call is a function name like "public.increment_counter" (letters, digits, _; schema optional)',
    )
    .describe('the function every call invokes, e.g. public.increment_counter'),
  args: z
    .array(templateValue)
    .max(100)
    .default([])
    .describe('its arguments, bound as parameters; strings may use {i} (the call index), {run_id} and {random_uuid}'),
  calls: z.number().int().min(1).max(10_000).describe('how many calls are fired at the same moment (1 to 10000)'),
  connections: z
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe('connections the calls share, 1 to 100 (default min(calls, 20))'),
  as_role: z
    .string()
    .regex(identifier, 'as_role is a role name (letters, digits, _)')
    .optional()
    .describe(
      "run every call as this role (SET LOCAL ROLE in the call's own transaction; the role must exist), e.g. authenticated",
    ),
  reset: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('SQL run (and committed) before the calls, so a re-run starts from the same state'),
  expect: z
    .strictObject({
      query: z
        .string()
        .trim()
        .min(1, 'expect.query is empty')
        .describe('the invariant, read after every call has settled'),
      params: z.array(templateValue).optional().describe('values for $1, $2… (templates as in args)'),
      rows: z
        .array(z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]))
        .optional()
        .describe("exactly these rows, as the sql step's expect.rows"),
      row_count: z.number().int().nonnegative().optional().describe('the exact number of rows returned'),
    })
    .refine((e) => e.rows !== undefined || e.row_count !== undefined, {
      message: 'expect needs rows, row_count or both',
    })
    .describe('what must hold once every call has returned, e.g. the counter equals calls'),
});

export type GenericConcurrencySpec = z.infer<typeof genericConcurrencySchema>;

export function describeGenericConcurrency(spec: GenericConcurrencySpec): { summary: string; detail: string } {
  const role = spec.as_role ? ` as ${spec.as_role}` : '';
  return {
    summary: `call ${spec.call} ${spec.calls} times at once${role}, then expect ${describeRowsExpectation(spec.expect)}`,
    detail: [
      ...(spec.reset ? [`-- reset:\n${spec.reset}`] : []),
      `-- each call:\nselect ${spec.call}(${spec.args.map((_, i) => `$${i + 1}`).join(', ')}) -- args ${JSON.stringify(spec.args)}`,
      `-- then:\n${spec.expect.query}`,
    ].join('\n'),
  };
}

/**
 * N simultaneous calls of any function, on N connections, then an invariant checked in
 * SQL. Every call that fails is a failure of the step (the first error quoted), never
 * read as "the count grew by less".
 */
export async function runGenericConcurrency(spec: GenericConcurrencySpec, context: StepContext): Promise<StepOutcome> {
  const connections = spec.connections ?? Math.min(spec.calls, 20);
  const scope = (i: number) => ({ i, runId: context.runId });
  const db = Database.connect(context.environment.connectionString, {
    max: connections,
    applicationName: 'shipcheck concurrency',
  });
  try {
    if (spec.as_role !== undefined) await assertRoleExists(db, spec.as_role, context.environment.name);
    if (spec.reset !== undefined) await db.transaction((tx) => tx.query(spec.reset!));
    context.progress(`calling ${spec.call} ${spec.calls} times at once on ${connections} connection(s)`);
    const callSql = `select ${quoteFunction(spec.call)}(${spec.args.map((_, i) => `$${i + 1}`).join(', ')})`;
    const burst = await runBurst(
      db,
      { calls: spec.calls, connections, secrets: [context.environment.connectionString] },
      (client, i) =>
        callAs(
          client,
          spec.as_role,
          callSql,
          spec.args.map((a) => expandTemplate(a, scope(i))),
        ),
    );
    const latency = summarizeLatencies(burst.latenciesMs);
    const metrics = {
      latency_ms_p50: latency.p50,
      latency_ms_p95: latency.p95,
      latency_ms_p99: latency.p99,
      latency_ms_mean: latency.mean,
      failed: burst.failed,
      wall_ms: Math.round(burst.wallMs * 100) / 100,
    };
    const expected = `all ${spec.calls} calls succeed, then ${describeRowsExpectation(spec.expect)}`;
    const base = {
      function: spec.call,
      calls: spec.calls,
      connections,
      as_role: spec.as_role ?? null,
      succeeded: burst.succeeded,
      failed: burst.failed,
      errors: burst.errors,
      latency_ms: latency,
    };
    if (burst.failed > 0) {
      const first = burst.errors[0]!;
      return {
        status: 'failed',
        expected,
        observed: base,
        metrics,
        message: `${burst.failed} of ${spec.calls} calls failed: ${first.message}${first.sqlState ? ` (SQLSTATE ${first.sqlState})` : ''}`,
      };
    }
    const params = (spec.expect.params ?? []).map((p: TemplateValue) => expandTemplate(p, scope(0)));
    const { rows } = await db.query(spec.expect.query, params);
    const columns = rows[0] ? Object.keys(rows[0]) : [];
    const comparison = compareRows(spec.expect, columns, rows);
    const observed = {
      ...base,
      invariant: {
        row_count: rows.length,
        columns,
        rows: jsonSafe(rows.slice(0, 10).map((row) => columns.map((c) => row[c]))),
      },
    };
    return comparison.ok
      ? {
          status: 'passed',
          expected,
          observed,
          metrics,
          message: `all ${spec.calls} calls succeeded and the invariant holds (${describeRowsExpectation(spec.expect)}), p95 ${latency.p95} ms`,
        }
      : {
          status: 'failed',
          expected,
          observed,
          metrics,
          message: `all ${spec.calls} calls succeeded but the invariant does not hold: ${comparison.problem}`,
        };
  } finally {
    await db.close();
  }
}

async function assertRoleExists(db: Queryable, role: string, environment: string): Promise<void> {
  const { rows } = await db.query('select 1 from pg_catalog.pg_roles where rolname = $1', [role]);
  if (rows.length === 0) throw new UsageError(`as_role: role "${role}" does not exist on ${environment}`);
}

/**
 * The role is switched for the call's transaction only (SET LOCAL): behind a transaction-mode
 * pooler a session-level SET ROLE would land on one server connection and the call on another
 * (run as the connecting user), and the role would stay on the first for whoever gets it next.
 */
async function callAs(
  client: Queryable,
  role: string | undefined,
  sql: string,
  args: readonly unknown[],
): Promise<void> {
  if (role === undefined) {
    await client.query(sql, args);
    return;
  }
  await inTransaction(client, async () => {
    await client.query("select pg_catalog.set_config('role', $1, true)", [role]);
    await client.query(sql, args);
  });
}

/** Identifiers already match /^[A-Za-z_][A-Za-z0-9_$]*$/; quoting keeps their case as written. */
function quoteFunction(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}
