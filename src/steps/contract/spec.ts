import { z } from 'zod';
import { functionName } from '../shared/functionName.js';

const identifier = /^[a-z_][a-z0-9_$]*$/;

const typeName = z.string().trim().min(1, 'a type name is empty');
const roleName = z.string().refine((r) => r === 'PUBLIC' || identifier.test(r), {
  message: 'a role is PUBLIC or a lower-case role name',
});

export const contractSchema = z.strictObject({
  function: functionName.describe(
    'the function whose contract is checked: schema.name in lower case (no schema: public)',
  ),
  arguments: z
    .array(
      z.union([
        typeName,
        z.strictObject({
          name: z.string().regex(identifier).describe("the argument's name, e.g. p_organization_id"),
          type: typeName.describe("the argument's type, e.g. uuid"),
        }),
      ]),
    )
    .optional()
    .describe(
      'the argument types in order (a { name, type } entry also checks the name), compared as the server spells them (int = int4 = integer); selects that overload. Omitted: the function must have exactly one overload',
    ),
  returns: typeName.optional().describe('the return type, e.g. jsonb'),
  security: z.enum(['invoker', 'definer']).optional().describe('SECURITY INVOKER or SECURITY DEFINER'),
  search_path_pinned: z
    .boolean()
    .optional()
    .describe('true: the function must have its own SET search_path; false: it must not'),
  hardened: z
    .boolean()
    .optional()
    .describe(
      'check what a hijack needs (default: true for SECURITY DEFINER, false for INVOKER): pg_temp named last in its SET search_path (otherwise pg_temp is searched first for types), no schema in that path where a role other than the owner (or PUBLIC) can CREATE, the same for every function it calls one level down (pg_depend and its body), and EXECUTE not granted to PUBLIC or anon unless grants.allowed lists anon',
    ),
  grants: z
    .strictObject({
      allowed: z
        .array(roleName)
        .default([])
        .describe('roles that must be able to EXECUTE it (effective right, through memberships and PUBLIC)'),
      denied: z
        .array(roleName)
        .default([])
        .describe('roles that must not be able to EXECUTE it; PUBLIC here means no EXECUTE grant to PUBLIC'),
    })
    .refine((g) => !g.allowed.includes('PUBLIC'), {
      message: 'granting EXECUTE to PUBLIC is not a contract shipcheck checks; list the roles instead',
    })
    .refine((g) => !g.allowed.some((r) => g.denied.includes(r)), { message: 'a role is both allowed and denied' })
    .optional()
    .describe('EXECUTE rights to check, per role (lower-case names, or PUBLIC in denied)'),
});

export type ContractSpec = z.output<typeof contractSchema>;

export function argumentTypes(spec: ContractSpec): string[] | undefined {
  return spec.arguments?.map((a) => (typeof a === 'string' ? a : a.type));
}

export function argumentNames(spec: ContractSpec): (string | undefined)[] | undefined {
  return spec.arguments?.map((a) => (typeof a === 'string' ? undefined : a.name));
}
