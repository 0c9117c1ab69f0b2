import { alterCommands, columnConstraints, relationName, unwrap } from '../ast.js';
import type { LintRule } from './types.js';

/** Rules for statements that hold a lock the app's queries queue behind, or rewrite a table. */
export const lockingRules: readonly LintRule[] = [
  {
    id: 'require-concurrent-index-creation',
    why: 'CREATE INDEX without CONCURRENTLY holds a SHARE lock that blocks every write to the table until the index is built.',
    rewrite: 'CREATE INDEX CONCURRENTLY … in a migration of its own (it cannot run inside a transaction block).',
    check({ type, node }, index, facts) {
      if (type !== 'IndexStmt' || node.concurrent || facts.isNewTable(node.relation, index)) return [];
      return [`index ${node.idxname ?? '(unnamed)'} on ${relationName(node.relation)} is built without CONCURRENTLY`];
    },
  },
  {
    id: 'require-concurrent-index-deletion',
    why: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table: reads and writes wait.',
    rewrite: 'DROP INDEX CONCURRENTLY IF EXISTS …, in a migration of its own.',
    check({ type, node }) {
      if (type !== 'DropStmt' || node.removeType !== 'OBJECT_INDEX' || node.concurrent) return [];
      return ['index dropped without CONCURRENTLY'];
    },
  },
  {
    id: 'constraint-missing-not-valid',
    why: 'Adding a FOREIGN KEY or CHECK constraint validates every row while holding a lock that blocks writes.',
    rewrite:
      'ADD CONSTRAINT … NOT VALID (instant), then ALTER TABLE … VALIDATE CONSTRAINT … in a later transaction (it takes a weaker lock).',
    check({ type, node }, index, facts) {
      if (type !== 'AlterTableStmt' || facts.isNewTable(node.relation, index)) return [];
      return alterCommands(node)
        .filter((cmd) => cmd.subtype === 'AT_AddConstraint')
        .map((cmd) => unwrap(cmd.def)[1])
        .filter((c) => (c.contype === 'CONSTR_FOREIGN' || c.contype === 'CONSTR_CHECK') && !c.skip_validation)
        .map(
          (c) =>
            `${c.contype === 'CONSTR_FOREIGN' ? 'foreign key' : 'check'}${c.conname ? ` ${c.conname}` : ''} on ${relationName(node.relation)} is validated while it is added`,
        );
    },
  },
  {
    id: 'adding-unique-or-primary-key-constraint',
    why: 'ADD PRIMARY KEY or ADD UNIQUE builds its index under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole build.',
    rewrite:
      'CREATE UNIQUE INDEX CONCURRENTLY …, then ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY / UNIQUE USING INDEX ….',
    check({ type, node }, index, facts) {
      if (type !== 'AlterTableStmt' || facts.isNewTable(node.relation, index)) return [];
      return alterCommands(node)
        .filter((cmd) => cmd.subtype === 'AT_AddConstraint')
        .map((cmd) => unwrap(cmd.def)[1])
        .filter((c) => (c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE') && !c.indexname)
        .map(
          (c) =>
            `${c.contype === 'CONSTR_PRIMARY' ? 'primary key' : 'unique constraint'} on ${relationName(node.relation)} builds its index in place`,
        );
    },
  },
  {
    id: 'setting-not-nullable-field',
    why: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock to prove no row is null.',
    rewrite:
      'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL (PostgreSQL 12+ uses the check and skips the scan) and drop c.',
    check({ type, node }, index, facts) {
      if (type !== 'AlterTableStmt' || facts.isNewTable(node.relation, index)) return [];
      return alterCommands(node)
        .filter((cmd) => cmd.subtype === 'AT_SetNotNull')
        .map((cmd) => `column ${cmd.name} of ${relationName(node.relation)} is set NOT NULL with a full scan`);
    },
  },
  {
    id: 'changing-column-type',
    why: 'Changing a column type rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (except a few binary-compatible changes).',
    rewrite:
      'Add a new column of the new type, backfill it in batches, switch the app to it, then drop the old column in a later migration.',
    check({ type, node }, index, facts) {
      if (type !== 'AlterTableStmt' || facts.isNewTable(node.relation, index)) return [];
      return alterCommands(node)
        .filter((cmd) => cmd.subtype === 'AT_AlterColumnType')
        .map((cmd) => `column ${cmd.name} of ${relationName(node.relation)} changes type`);
    },
  },
  {
    id: 'adding-field-with-default',
    why: 'A column added with a volatile default (or any default before PostgreSQL 11) rewrites the whole table under an ACCESS EXCLUSIVE lock.',
    rewrite:
      'Add the column without a default, SET DEFAULT in a second statement (new rows only), and backfill existing rows in batches.',
    check({ type, node }, index, facts) {
      if (type !== 'AlterTableStmt' || facts.isNewTable(node.relation, index)) return [];
      const messages: string[] = [];
      for (const cmd of alterCommands(node)) {
        if (cmd.subtype !== 'AT_AddColumn') continue;
        const column = cmd.def?.ColumnDef;
        const fallback = columnConstraints(column).find((c) => c.contype === 'CONSTR_DEFAULT');
        if (!fallback) continue;
        if (facts.pgVersion < 11) {
          messages.push(
            `column ${column?.colname} is added with a default: PostgreSQL ${facts.pgVersion} rewrites the table`,
          );
        } else if (isVolatile(fallback.raw_expr)) {
          messages.push(`column ${column?.colname} is added with a default computed per row, which rewrites the table`);
        }
      }
      return messages;
    },
  },
];

/** Functions a default may call without forcing a rewrite: evaluated once per statement. */
const stableDefaults = new Set(['now', 'statement_timestamp', 'transaction_timestamp', 'current_setting']);

/** A default is volatile when it calls a function outside the stable set (gen_random_uuid, nextval, random…). */
function isVolatile(expression: unknown): boolean {
  if (expression === null || typeof expression !== 'object') return false;
  if (Array.isArray(expression)) return expression.some(isVolatile);
  const record = expression as Record<string, unknown>;
  const call = record.FuncCall as { funcname?: { String?: { sval?: string } }[] } | undefined;
  if (call) {
    const name = call.funcname?.at(-1)?.String?.sval ?? '';
    if (!stableDefaults.has(name)) return true;
  }
  return Object.values(record).some(isVolatile);
}
