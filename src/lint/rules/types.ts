import type { AstNode, ParsedStatement } from '../../db/sqlStatements.js';

/** What every rule may know about the whole file, not only the statement at hand. */
export interface FileFacts {
  readonly statements: readonly ParsedStatement[];
  /** The PostgreSQL major version the migration targets (some rewrites are version-bound). */
  readonly pgVersion: number;
  /** Tables created by the statements before `index`: changes to them lock nobody out. */
  isNewTable(relation: AstNode | undefined, index: number): boolean;
  /** The file runs outside a transaction block (it holds a statement that cannot run inside one). */
  readonly nonTransactional: boolean;
}

/**
 * One lint rule (squawk's rule set as the starting point): an id to waive it by, why it
 * matters in one sentence, the safe rewrite, and a check that returns one specific
 * message per fault in the statement (none when the statement is fine).
 */
export interface LintRule {
  readonly id: string;
  readonly why: string;
  readonly rewrite: string;
  check(statement: ParsedStatement, index: number, facts: FileFacts): readonly string[];
}
