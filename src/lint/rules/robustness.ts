import { outsideTransactionReason } from '../../db/sqlStatements.js';
import type { ParsedStatement } from '../../db/sqlStatements.js';
import type { FileFacts, LintRule } from './types.js';

/** Rules for how a migration behaves when it waits, fails half-way or is run again. */
export const robustnessRules: readonly LintRule[] = [
  {
    id: 'require-timeout-settings',
    why: 'A DDL statement queued behind a long query waits for its lock while every later query on the table queues behind it.',
    rewrite:
      "SET lock_timeout = '2s'; at the top of the migration and retry on timeout — or apply it with shipcheck's migrate step, which does both (lock_timeout, default 2 s) — then waive this rule.",
    check(statement, index, facts) {
      if (!takesTableLock(statement, index, facts)) return [];
      const earlier = facts.statements.slice(0, index);
      if (earlier.some((s) => s.type === 'VariableSetStmt' && s.node.name === 'lock_timeout')) return [];
      // One finding per file: the first statement that would wait.
      const firstWaiter = facts.statements.findIndex((s, i) => takesTableLock(s, i, facts));
      return firstWaiter === index
        ? ['the first statement that locks an existing table runs without a lock_timeout']
        : [];
    },
  },
  {
    id: 'prefer-robust-stmts',
    why: 'A migration that runs outside a transaction can fail half-way; running it again must not fail on what the first attempt already did.',
    rewrite:
      'Use IF NOT EXISTS / IF EXISTS (CREATE INDEX CONCURRENTLY IF NOT EXISTS, DROP INDEX CONCURRENTLY IF EXISTS, ADD COLUMN IF NOT EXISTS).',
    check({ type, node }, _index, facts) {
      if (!facts.nonTransactional) return [];
      if ((type === 'IndexStmt' || type === 'CreateStmt') && !node.if_not_exists)
        return [`${type === 'IndexStmt' ? 'CREATE INDEX' : 'CREATE TABLE'} without IF NOT EXISTS`];
      if (type === 'DropStmt' && !node.missing_ok) return ['DROP without IF EXISTS'];
      return [];
    },
  },
  {
    id: 'transaction-control',
    why: 'shipcheck runs a migration inside its own transaction: a BEGIN, COMMIT or ROLLBACK in the file ends it early, so a failure after it leaves the migration half applied and unrecorded.',
    rewrite: 'Remove the transaction statements; split work that must commit separately into migrations of its own.',
    check({ type, node }) {
      if (type !== 'TransactionStmt') return [];
      return [`${String(node.kind ?? '').replace('TRANS_STMT_', '')} in a migration`];
    },
  },
  {
    id: 'non-transactional-mixed',
    why: 'A statement that cannot run in a transaction makes shipcheck run the whole file statement by statement without one, so a failure half-way leaves the statements before it applied.',
    rewrite:
      'Give CREATE INDEX CONCURRENTLY (and the like) a migration of its own, with IF NOT EXISTS, so a retry is safe.',
    check(statement, index, facts) {
      const reason = outsideTransactionReason(statement);
      if (!reason) return [];
      const others = facts.statements.filter((s, i) => i !== index && s.type !== 'VariableSetStmt');
      return others.length > 0 ? [`${reason} shares its migration with ${others.length} other statement(s)`] : [];
    },
  },
];

/** Statements that take a lock on a table that existed before the migration (what lock_timeout protects). */
function takesTableLock({ type, node }: ParsedStatement, index: number, facts: FileFacts): boolean {
  switch (type) {
    case 'AlterTableStmt':
      return node.objtype === 'OBJECT_TABLE' && !facts.isNewTable(node.relation, index);
    case 'IndexStmt':
      return !node.concurrent && !facts.isNewTable(node.relation, index);
    case 'RenameStmt':
    case 'CreateTrigStmt':
      return !facts.isNewTable(node.relation, index);
    case 'DropStmt':
      return (node.removeType === 'OBJECT_TABLE' || node.removeType === 'OBJECT_INDEX') && !node.concurrent;
    default:
      return false;
  }
}
