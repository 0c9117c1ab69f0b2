import type { AstNode } from '../db/sqlStatements.js';

/** `schema.name` of a RangeVar, as written (no schema when none was written). */
export function relationName(relation: AstNode | undefined): string {
  if (!relation) return '?';
  return relation.schemaname ? `${relation.schemaname}.${relation.relname}` : String(relation.relname);
}

/** The `String` values of a name list (`[{String:{sval:'public'}},{String:{sval:'f'}}]` → public.f). */
export function qualifiedName(names: readonly AstNode[] | undefined): string {
  return (names ?? []).map((part) => part.String?.sval ?? '?').join('.');
}

/** The single-key wrapper libpg_query puts around every node: `{Constraint: {...}}` → ['Constraint', {...}]. */
export function unwrap(node: AstNode | undefined): [string, AstNode] {
  const entry = node ? Object.entries(node)[0] : undefined;
  return entry ? [entry[0], entry[1] as AstNode] : ['', {}];
}

/** The sub-commands of an ALTER TABLE, unwrapped. */
export function alterCommands(node: AstNode): AstNode[] {
  return (node.cmds ?? []).map((cmd: AstNode) => cmd.AlterTableCmd ?? {});
}

/** The constraints of a column definition, unwrapped. */
export function columnConstraints(columnDef: AstNode | undefined): AstNode[] {
  return (columnDef?.constraints ?? []).map((c: AstNode) => c.Constraint ?? {});
}
