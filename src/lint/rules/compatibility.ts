import { alterCommands, columnConstraints, qualifiedName, relationName } from '../ast.js';
import type { LintRule } from './types.js';

/** Rules for changes the app still running the previous release cannot survive. */
export const compatibilityRules: readonly LintRule[] = [
  {
    id: 'renaming-column',
    why: 'The app version still running during and after the deploy queries the old name and fails.',
    rewrite:
      'Expand and contract: add the new column, write both, move reads to the new one, drop the old one in a later release.',
    check({ type, node }) {
      if (type !== 'RenameStmt' || node.renameType !== 'OBJECT_COLUMN') return [];
      return [`column ${node.subname} of ${relationName(node.relation)} is renamed to ${node.newname}`];
    },
  },
  {
    id: 'renaming-table',
    why: 'The app version still running during and after the deploy queries the old name and fails.',
    rewrite:
      'Create the new table (or a view under the old name), move the app to it, drop the old name in a later release.',
    check({ type, node }) {
      if (type !== 'RenameStmt' || node.renameType !== 'OBJECT_TABLE') return [];
      return [`table ${relationName(node.relation)} is renamed to ${node.newname}`];
    },
  },
  {
    id: 'ban-drop-column',
    why: 'The running app may still read or write the column, and its data is gone for good.',
    rewrite: 'Stop using the column in the app first, deploy that, then drop it in a later migration (after a backup).',
    check({ type, node }) {
      if (type !== 'AlterTableStmt') return [];
      return alterCommands(node)
        .filter((cmd) => cmd.subtype === 'AT_DropColumn')
        .map((cmd) => `column ${cmd.name} of ${relationName(node.relation)} is dropped`);
    },
  },
  {
    id: 'ban-drop-table',
    why: 'The running app may still use the table, and its data is gone for good.',
    rewrite: 'Stop using the table in the app first, deploy that, back it up, then drop it in a later migration.',
    check({ type, node }) {
      if (type !== 'DropStmt' || node.removeType !== 'OBJECT_TABLE') return [];
      const names = (node.objects ?? []).map((o: { List?: { items?: [] } }) => qualifiedName(o.List?.items));
      return [`table ${names.join(', ')} is dropped`];
    },
  },
  {
    id: 'adding-required-field',
    why: 'A NOT NULL column without a default cannot be added to a table that has rows, and the running app does not fill it.',
    rewrite:
      'Add the column nullable (or with a constant default), backfill it, then make it NOT NULL with a validated CHECK first.',
    check({ type, node }, index, facts) {
      if (type !== 'AlterTableStmt' || facts.isNewTable(node.relation, index)) return [];
      return alterCommands(node)
        .filter((cmd) => cmd.subtype === 'AT_AddColumn')
        .map((cmd) => cmd.def?.ColumnDef)
        .filter((column) => {
          const constraints = columnConstraints(column);
          return (
            constraints.some((c) => c.contype === 'CONSTR_NOTNULL') &&
            !constraints.some((c) => c.contype === 'CONSTR_DEFAULT')
          );
        })
        .map(
          (column) => `column ${column?.colname} is added NOT NULL without a default to ${relationName(node.relation)}`,
        );
    },
  },
];
