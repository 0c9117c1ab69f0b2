import { qualifiedName } from '../ast.js';
import type { AstNode, ParsedStatement } from '../../db/sqlStatements.js';
import type { LintRule } from './types.js';

/**
 * Function hygiene (the classes of fault in the Shield security audit, issue 11): found in
 * the text before any database is touched; the contract step checks the same on the server.
 */
export const functionRules: readonly LintRule[] = [
  {
    id: 'function-search-path',
    why: "A function without a pinned search_path resolves names through its caller's; for a SECURITY DEFINER function that lets the caller run code as the owner.",
    rewrite: 'SET search_path = pg_catalog, pg_temp (add the schemas it needs before pg_temp) in the CREATE FUNCTION.',
    check({ type, node }) {
      if (type !== 'CreateFunctionStmt') return [];
      if (searchPathOf(node) !== undefined) return [];
      return [`${describeFunction(node)} sets no search_path`];
    },
  },
  {
    id: 'function-search-path-pg-temp-last',
    why: 'Unless pg_temp is named last, PostgreSQL searches the temporary schema first for types and operators, so any role that can create temporary objects can change what the function runs.',
    rewrite: 'Name pg_temp explicitly last: SET search_path = pg_catalog, public, pg_temp.',
    check({ type, node }) {
      if (type !== 'CreateFunctionStmt') return [];
      const path = searchPathOf(node);
      if (path === undefined || path.at(-1) === 'pg_temp') return [];
      return [`${describeFunction(node)} sets search_path = ${path.join(', ') || "''"} without pg_temp last`];
    },
  },
  {
    id: 'function-execute-public',
    why: 'PostgreSQL grants EXECUTE on a new function to PUBLIC: every role, including anonymous API roles, can call it until that is revoked.',
    rewrite: 'REVOKE EXECUTE ON FUNCTION … FROM PUBLIC; then GRANT EXECUTE to the roles that need it.',
    check({ type, node }, index, facts) {
      if (type !== 'CreateFunctionStmt') return [];
      const name = lastName(node.funcname);
      const revoked = facts.statements.some(
        (s, i) => (revokesFromPublic(s, name) && i > index) || (i < index && revokesDefault(s)),
      );
      return revoked
        ? []
        : [`${describeFunction(node)} stays executable by PUBLIC (no REVOKE … FROM PUBLIC in this migration)`];
    },
  },
  {
    id: 'grant-execute-to-public',
    why: 'Granting EXECUTE to PUBLIC or anon lets every role, including unauthenticated API callers, call the function.',
    rewrite: 'GRANT EXECUTE only to the roles that need it (e.g. authenticated, service_role).',
    check({ type, node }) {
      if (type !== 'GrantStmt' || !node.is_grant || node.objtype !== 'OBJECT_FUNCTION' || !grantsExecute(node))
        return [];
      return (node.grantees ?? [])
        .map((g: AstNode) => g.RoleSpec ?? {})
        .filter((r: AstNode) => r.roletype === 'ROLESPEC_PUBLIC' || r.rolename === 'anon')
        .map((r: AstNode) => `EXECUTE granted to ${r.roletype === 'ROLESPEC_PUBLIC' ? 'PUBLIC' : r.rolename}`);
    },
  },
];

function options(node: AstNode): AstNode[] {
  return (node.options ?? []).map((o: AstNode) => o.DefElem ?? {});
}

function isDefiner(node: AstNode): boolean {
  return options(node).some((o) => o.defname === 'security' && o.arg?.Boolean?.boolval === true);
}

/** The schemas of `SET search_path = …` in the definition, or undefined when it sets none. */
function searchPathOf(node: AstNode): string[] | undefined {
  const set = options(node).find((o) => o.defname === 'set' && o.arg?.VariableSetStmt?.name === 'search_path');
  if (!set) return undefined;
  return (set.arg.VariableSetStmt.args ?? []).map((a: AstNode) => String(a.A_Const?.sval?.sval ?? '').toLowerCase());
}

function describeFunction(node: AstNode): string {
  return `${isDefiner(node) ? 'SECURITY DEFINER function' : 'function'} ${qualifiedName(node.funcname)}`;
}

function lastName(names: readonly AstNode[] | undefined): string {
  return String(names?.at(-1)?.String?.sval ?? '');
}

function grantsExecute(node: AstNode): boolean {
  const privileges: AstNode[] = node.privileges ?? [];
  return privileges.length === 0 || privileges.some((p) => p.AccessPriv?.priv_name === 'execute');
}

function revokesFromPublic({ type, node }: ParsedStatement, functionName: string): boolean {
  if (type !== 'GrantStmt' || node.is_grant || !grantsExecute(node)) return false;
  const fromPublic = (node.grantees ?? []).some((g: AstNode) => g.RoleSpec?.roletype === 'ROLESPEC_PUBLIC');
  if (!fromPublic) return false;
  if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') return true;
  return (node.objects ?? []).some((o: AstNode) => lastName(o.ObjectWithArgs?.objname) === functionName);
}

/** ALTER DEFAULT PRIVILEGES … REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC covers functions created after it. */
function revokesDefault({ type, node }: ParsedStatement): boolean {
  if (type !== 'AlterDefaultPrivilegesStmt') return false;
  const action = node.action?.GrantStmt;
  return Boolean(
    action &&
      !action.is_grant &&
      (action.grantees ?? []).some((g: AstNode) => g.RoleSpec?.roletype === 'ROLESPEC_PUBLIC'),
  );
}
