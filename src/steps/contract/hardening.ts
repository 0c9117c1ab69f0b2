import type { ContractCheck } from './checks.js';
import { parseSearchPath, tempSchemaLast } from './searchPath.js';

/** A function as the hardening checks see it: the contract's own or one it calls. */
export interface PathSubject {
  readonly signature: string;
  readonly security: 'invoker' | 'definer';
  readonly owner: string;
  /** The value of its SET search_path, null when it sets none. */
  readonly search_path: string | null;
}

/** One row of contract/schema_creators.sql. */
export interface SchemaCreators {
  readonly schema: string;
  readonly exists: boolean;
  /** Roles other than the function's owner (PUBLIC included) that can put objects there. */
  readonly creators: string[];
}

export interface HardeningInput {
  readonly subject: PathSubject;
  /** Functions the subject calls, one level (pg_depend and its body). */
  readonly callees: readonly PathSubject[];
  /** By schema name; `pg_temp` lists who has TEMP on the database. */
  readonly creators: ReadonlyMap<string, SchemaCreators>;
  readonly executeGrantees: readonly string[];
  /** null when the database has no anon role. */
  readonly anonCanExecute: boolean | null;
  /** The contract lists anon in grants.allowed: a function meant for every caller. */
  readonly openExecuteAllowed: boolean;
}

/**
 * The schemas of a function's path to look up, `$user` read as its owner (a SECURITY
 * DEFINER runs as its owner) and pg_catalog left out (owned by the bootstrap superuser).
 */
export function pathSchemas(subject: PathSubject): string[] {
  if (subject.search_path === null) return [];
  return parseSearchPath(subject.search_path)
    .map((s) => (s === '$user' ? subject.owner : s))
    .filter((s) => s !== 'pg_catalog');
}

/**
 * What an attacker who can log in needs to run code inside the function, each finding one
 * sentence naming the function, the setting, the schema and the roles that could use it:
 * a path that leaves pg_temp first for types, a schema in the path that others can write,
 * the same for every function it calls, and EXECUTE left to PUBLIC or anon.
 */
export function hardeningChecks(input: HardeningInput): ContractCheck[] {
  const { subject } = input;
  const runsAs = subject.security === 'definer' ? subject.owner : 'its caller';
  const checks: ContractCheck[] = [];
  if (subject.search_path === null) {
    const finding =
      subject.security === 'definer'
        ? `${subject.signature} is SECURITY DEFINER (owner ${subject.owner}) and sets no search_path: it resolves names in its caller's path, so ${listRoles(input.executeGrantees.filter((r) => r !== subject.owner))} can plant a type, function or operator that runs as ${subject.owner}`
        : `${subject.signature} sets no search_path: it resolves names in its caller's path, where objects of the caller's choosing shadow the ones it means`;
    checks.push({
      check: `search_path of ${subject.signature}`,
      expected: 'set, pg_temp last',
      observed: 'not set',
      ok: false,
      finding,
    });
  } else {
    checks.push(...pathChecks(subject, `${subject.signature}`, runsAs, input.creators));
  }
  for (const callee of input.callees) {
    if (callee.search_path === null) {
      // Without a SET of its own it runs with the caller's path, checked above.
      checks.push({
        check: `search_path of ${callee.signature} (called)`,
        expected: "its own with pg_temp last, or none (the caller's)",
        observed: `none (runs with ${subject.signature}'s)`,
        ok: true,
      });
      continue;
    }
    const calleeRunsAs = callee.security === 'definer' ? callee.owner : runsAs;
    checks.push(
      ...pathChecks(callee, `${callee.signature}, called by ${subject.signature},`, calleeRunsAs, input.creators),
    );
  }
  checks.push(...executeChecks(input, runsAs));
  return checks;
}

function pathChecks(
  fn: PathSubject,
  named: string,
  runsAs: string,
  creators: ReadonlyMap<string, SchemaCreators>,
): ContractCheck[] {
  const raw = fn.search_path ?? '';
  const schemas = parseSearchPath(raw);
  const last = tempSchemaLast(schemas);
  const checks: ContractCheck[] = [
    {
      check: `search_path of ${fn.signature}: pg_temp last`,
      expected: 'pg_temp named last',
      observed: raw,
      ok: last,
      ...(!last && {
        finding: `${named} sets search_path=${raw} without pg_temp last: PostgreSQL then searches pg_temp first for types, so ${listRoles(creators.get('pg_temp')?.creators ?? ['PUBLIC'])} (TEMP on the database) can create a temporary type its casts resolve to, whose CHECK runs code as ${runsAs}`,
      }),
    },
  ];
  for (const schema of pathSchemas(fn).filter((s) => s !== 'pg_temp')) {
    const found = creators.get(schema);
    const others = found?.creators ?? [];
    checks.push({
      check: `search_path of ${fn.signature}: who can create in ${schema}`,
      expected: `only ${fn.owner}`,
      observed: others.length === 0 ? `only ${fn.owner}` : others.join(', '),
      ok: others.length === 0,
      ...(others.length > 0 && {
        finding: `${named} sets search_path=${raw}, and ${listRoles(others)} can create objects in schema ${schema}${found?.exists === false ? ' (it does not exist yet)' : ''}: a function or operator planted there runs as ${runsAs}`,
      }),
    });
  }
  return checks;
}

function executeChecks(input: HardeningInput, runsAs: string): ContractCheck[] {
  if (input.openExecuteAllowed) return [];
  const { signature } = input.subject;
  const toPublic = input.executeGrantees.includes('PUBLIC');
  const checks: ContractCheck[] = [
    {
      check: 'EXECUTE for PUBLIC (hardening)',
      expected: 'not granted',
      observed: toPublic ? 'granted' : 'not granted',
      ok: !toPublic,
      ...(toPublic && {
        finding: `${signature} has EXECUTE granted to PUBLIC: every role that can connect runs it as ${runsAs}; revoke it and grant the roles that need it`,
      }),
    },
  ];
  if (input.anonCanExecute !== null) {
    const anon = input.anonCanExecute;
    checks.push({
      check: 'EXECUTE for anon (hardening)',
      expected: 'denied',
      observed: anon ? 'granted' : 'denied',
      ok: !anon,
      ...(anon && { finding: `${signature} can be executed by anon: an unauthenticated caller runs it as ${runsAs}` }),
    });
  }
  return checks;
}

function listRoles(roles: readonly string[]): string {
  if (roles.length === 0) return 'any role that may call it';
  const named = roles.map((r) => (r === 'PUBLIC' ? 'PUBLIC (every role)' : r));
  return roles.length === 1 && roles[0] !== 'PUBLIC' ? `role ${named[0]}` : named.join(', ');
}
