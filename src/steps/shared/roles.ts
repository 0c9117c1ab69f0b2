import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { UsageError } from '../../errors.js';

/** A role name as a step may give it (checked against pg_roles when the step runs). */
export const roleName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, 'as_role is a role name: letters, digits, _ or $, at most 63')
  .describe(
    "run as this role (SET LOCAL ROLE in the step's transaction), so its grants and row-level security apply; any role that exists, e.g. anon, authenticated",
  );

/**
 * Switches the transaction to `role` for what follows (SET LOCAL ROLE, the name bound as a
 * parameter): a role that does not exist is a usage error naming it, before anything runs.
 */
export async function setLocalRole(client: Queryable, role: string, environment: string): Promise<void> {
  const { rows } = await client.query('select 1 from pg_catalog.pg_roles where rolname = $1', [role]);
  if (rows.length === 0) throw new UsageError(`as_role: role "${role}" does not exist on ${environment}`);
  await client.query("select pg_catalog.set_config('role', $1, true)", [role]);
}
