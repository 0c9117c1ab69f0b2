import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import {
  type ContractCheck,
  checkContract,
  describeFailures,
  type ObservedFunction,
  type RolePrivilege,
} from './contract/checks.js';
import { hardeningChecks, type PathSubject, pathSchemas, type SchemaCreators } from './contract/hardening.js';
import { argumentTypes, type ContractSpec, contractSchema } from './contract/spec.js';
import { inReadOnlyTransaction } from './shared/transactions.js';
import type { StepKind, StepOutcome } from './types.js';

const functionSql = sqlFile(import.meta.url, './shared/function.sql');
const privilegesSql = sqlFile(import.meta.url, './contract/privileges.sql');
const typesSql = sqlFile(import.meta.url, './contract/types.sql');
const calleesSql = sqlFile(import.meta.url, './contract/callees.sql');
const schemaCreatorsSql = sqlFile(import.meta.url, './contract/schema_creators.sql');

/**
 * `contract`: checks a function's signature, return type, security, pinned
 * search_path and EXECUTE grants against the catalog (pg_proc, aclexplode,
 * has_function_privilege), read-only. SECURITY DEFINER functions (and others with
 * `hardened: true`) are also checked for what a hijack needs: see contract/hardening.ts.
 *
 * @example
 * - id: verify-permissions
 *   kind: contract
 *   function: public.record_event
 *   arguments: [uuid, text, text, text, jsonb]
 *   returns: jsonb
 *   security: invoker
 *   search_path_pinned: true
 *   grants: { allowed: [authenticated, service_role], denied: [PUBLIC, anon] }
 */
export const contractStep: StepKind<ContractSpec> = {
  kind: 'contract',
  schema: contractSchema,
  idempotent: true,
  mutates: false,
  rehearsable: true,
  gateEvidence: 'verifies',
  describe(spec) {
    const query = functionSql
      .split('\n')
      .filter((line) => !line.trim().startsWith('--'))
      .join('\n')
      .trim();
    return { summary: `check the contract of ${spec.function.qualified}: ${expectedText(spec)}`, detail: query };
  },
  async run(spec, context) {
    return inReadOnlyTransaction(context, (client) => checkFunction(client, spec));
  },
};

async function checkFunction(client: Queryable, spec: ContractSpec): Promise<StepOutcome> {
  const expected = expectedText(spec);
  const { rows: overloads } = await client.query<ObservedFunction & { oid: string }>(functionSql, [
    spec.function.schema,
    spec.function.name,
  ]);
  const canonical = await canonicalTypes(client, spec);
  const found = pickOverload(overloads, canonical.arguments);
  if (!found) {
    const message =
      overloads.length === 0
        ? `function ${spec.function.qualified} does not exist`
        : `no overload of ${spec.function.qualified} takes (${(canonical.arguments ?? []).join(', ')}); there is ${overloads.map((o) => o.signature).join(', ')}`;
    return {
      status: 'failed',
      expected,
      observed: { exists: false, overloads: overloads.map((o) => o.signature) },
      message,
    };
  }
  const hardened = spec.hardened ?? found.security === 'definer';
  const roles = [...(spec.grants?.allowed ?? []), ...(spec.grants?.denied ?? []), ...(hardened ? ['anon'] : [])].filter(
    (r) => r !== 'PUBLIC',
  );
  const { rows: privileges } = await client.query<RolePrivilege>(privilegesSql, [found.oid, roles]);
  const checks: ContractCheck[] = [
    ...checkContract(spec, found, canonical, privileges),
    ...(hardened
      ? await hijackChecks(
          client,
          spec,
          found,
          privileges.find((p) => p.role === 'anon'),
        )
      : []),
  ];
  const observed = {
    exists: true,
    signature: found.signature,
    return_type: found.return_type,
    security: found.security,
    search_path: found.search_path,
    execute_grantees: found.execute_grantees,
    checks,
  };
  const failures = describeFailures(checks);
  return failures
    ? { status: 'failed', expected, observed, message: `${spec.function.qualified}: ${failures}` }
    : {
        status: 'passed',
        expected,
        observed,
        message: `${found.signature} meets its contract (${checks.length} checks)`,
      };
}

/** The hardening checks, fed from the catalog: the callees, and who can write each schema of the paths. */
async function hijackChecks(
  client: Queryable,
  spec: ContractSpec,
  found: ObservedFunction & { oid: string },
  anon: RolePrivilege | undefined,
): Promise<ContractCheck[]> {
  const signature = `${spec.function.qualified}(${found.argument_types.join(', ')})`;
  const subject: PathSubject = {
    signature,
    security: found.security,
    owner: found.owner,
    search_path: found.search_path,
  };
  const ownSchemas = pathSchemas(subject).filter((s) => s !== 'pg_temp');
  const { rows: callees } = await client.query<PathSubject>(calleesSql, [found.oid, ownSchemas]);
  const schemas = [...new Set(['pg_temp', ...ownSchemas, ...callees.flatMap(pathSchemas)])];
  const { rows: creators } = await client.query<SchemaCreators>(schemaCreatorsSql, [schemas, found.owner]);
  return hardeningChecks({
    subject,
    callees,
    creators: new Map(creators.map((c) => [c.schema, c])),
    executeGrantees: found.execute_grantees,
    anonCanExecute: anon?.role_exists ? (anon.can_execute ?? false) : null,
    openExecuteAllowed: spec.grants?.allowed.includes('anon') ?? false,
  });
}

async function canonicalTypes(
  client: Queryable,
  spec: ContractSpec,
): Promise<{ arguments?: (string | null)[]; returns?: string | null }> {
  const argumentList = argumentTypes(spec) ?? [];
  const names = spec.returns === undefined ? argumentList : [...argumentList, spec.returns];
  if (names.length === 0) return {};
  const { rows } = await client.query<{ canonical: string | null }>(typesSql, [names]);
  const spelled = rows.map((r) => r.canonical);
  return {
    ...(spec.arguments && { arguments: spelled.slice(0, argumentList.length) }),
    ...(spec.returns !== undefined && { returns: spelled.at(-1) ?? null }),
  };
}

/** With `arguments`, the overload that takes exactly those; without, the only one there is. */
function pickOverload<T extends ObservedFunction>(
  overloads: readonly T[],
  wanted: (string | null)[] | undefined,
): T | undefined {
  if (!wanted) return overloads.length === 1 ? overloads[0] : undefined;
  return (
    overloads.find((o) => o.argument_types.join(',') === wanted.join(',')) ??
    // A single function with other arguments is reported by its own checks, naming the difference.
    (overloads.length === 1 ? overloads[0] : undefined)
  );
}

function expectedText(spec: ContractSpec): string {
  const parts: string[] = [];
  const types = argumentTypes(spec);
  if (types) parts.push(`(${types.join(', ')})`);
  if (spec.returns) parts.push(`returns ${spec.returns}`);
  if (spec.security) parts.push(`security ${spec.security}`);
  if (spec.search_path_pinned !== undefined)
    parts.push(spec.search_path_pinned ? 'search_path pinned' : 'search_path not pinned');
  if (spec.hardened !== undefined)
    parts.push(spec.hardened ? 'hardened against search_path hijacks' : 'hardening checks off');
  else if (spec.security === 'definer')
    parts.push('hardened against search_path hijacks (the default for SECURITY DEFINER)');
  if (spec.grants?.allowed.length) parts.push(`EXECUTE granted to ${spec.grants.allowed.join(', ')}`);
  if (spec.grants?.denied.length) parts.push(`EXECUTE denied to ${spec.grants.denied.join(', ')}`);
  return parts.join(', ') || 'the function exists';
}
