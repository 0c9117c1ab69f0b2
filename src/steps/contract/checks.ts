import type { ContractSpec } from './spec.js';
import { argumentNames } from './spec.js';

/** One row of contract/function.sql. */
export interface ObservedFunction {
  readonly signature: string;
  readonly argument_types: string[];
  readonly argument_names: string[] | null;
  readonly return_type: string;
  readonly returns_set: boolean;
  readonly security: 'invoker' | 'definer';
  readonly owner: string;
  readonly search_path: string | null;
  readonly execute_grantees: string[];
}

export interface RolePrivilege {
  readonly role: string;
  readonly role_exists: boolean;
  readonly can_execute: boolean | null;
}

export interface ContractCheck {
  readonly check: string;
  readonly expected: string;
  readonly observed: string;
  readonly ok: boolean;
  /** A failure said as one sentence (the hardening checks); otherwise "check is observed (expected …)". */
  readonly finding?: string;
}

/**
 * Every clause of a contract against what the catalog says, each with its own
 * result so a failure names exactly what is wrong. `canonicalTypes` are the
 * contract's type names as the server spells them (null: no such type).
 */
export function checkContract(
  spec: ContractSpec,
  found: ObservedFunction,
  canonicalTypes: { arguments?: (string | null)[]; returns?: string | null },
  privileges: readonly RolePrivilege[],
): ContractCheck[] {
  const checks: ContractCheck[] = [];
  if (canonicalTypes.arguments) {
    const expected = canonicalTypes.arguments.map((t, i) => t ?? `unknown type ${String(argumentTypeAt(spec, i))}`);
    checks.push(compare('arguments', `(${expected.join(', ')})`, `(${found.argument_types.join(', ')})`));
    const names = argumentNames(spec) ?? [];
    names.forEach((name, i) => {
      if (name === undefined) return;
      checks.push(compare(`argument ${i + 1} name`, name, found.argument_names?.[i] ?? '(unnamed)'));
    });
  }
  if (canonicalTypes.returns !== undefined) {
    const observed = found.returns_set ? `setof ${found.return_type}` : found.return_type;
    checks.push(compare('returns', canonicalTypes.returns ?? `unknown type ${String(spec.returns)}`, observed));
  }
  if (spec.security) checks.push(compare('security', spec.security, found.security));
  if (spec.search_path_pinned !== undefined) {
    const pinned = found.search_path !== null;
    checks.push({
      check: 'search_path pinned',
      expected: spec.search_path_pinned ? 'pinned' : 'not pinned',
      observed: pinned ? `pinned (${found.search_path})` : 'not pinned',
      ok: pinned === spec.search_path_pinned,
    });
  }
  if (spec.grants) {
    const byRole = new Map(privileges.map((p) => [p.role, p]));
    for (const role of spec.grants.allowed) checks.push(grantCheck(role, 'allowed', byRole.get(role)));
    for (const role of spec.grants.denied) {
      if (role === 'PUBLIC') {
        const granted = found.execute_grantees.includes('PUBLIC');
        checks.push({
          check: 'EXECUTE for PUBLIC',
          expected: 'denied',
          observed: granted ? 'granted' : 'denied',
          ok: !granted,
        });
      } else {
        checks.push(grantCheck(role, 'denied', byRole.get(role)));
      }
    }
  }
  return checks;
}

/** "EXECUTE for PUBLIC is granted (expected denied); security is definer (expected invoker)". */
export function describeFailures(checks: readonly ContractCheck[]): string {
  return checks
    .filter((c) => !c.ok)
    .map((c) => c.finding ?? `${c.check} is ${c.observed} (expected ${c.expected})`)
    .join('; ');
}

function grantCheck(role: string, wanted: 'allowed' | 'denied', privilege: RolePrivilege | undefined): ContractCheck {
  const check = `EXECUTE for ${role}`;
  const expected = wanted === 'allowed' ? 'granted' : 'denied';
  if (!privilege?.role_exists) return { check, expected, observed: 'a role that does not exist', ok: false };
  const observed = privilege.can_execute ? 'granted' : 'denied';
  return { check, expected, observed, ok: observed === expected };
}

function compare(check: string, expected: string, observed: string): ContractCheck {
  return { check, expected, observed, ok: expected === observed };
}

function argumentTypeAt(spec: ContractSpec, index: number): string | undefined {
  const entry = spec.arguments?.[index];
  return typeof entry === 'string' ? entry : entry?.type;
}
