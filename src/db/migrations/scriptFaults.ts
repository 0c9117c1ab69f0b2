/** What can stop a migration script half-way: a lock limit broken, a lock waited for too long. */
import { CheckFailedError } from '../../errors.js';
import type { ParsedStatement } from '../sqlStatements.js';
import type { StatementReport } from './statementLocks.js';

/** One wait for a lock that ran out, with who held it. */
export interface LockWaitAttempt {
  readonly attempt: number;
  readonly line: number;
  readonly statement: string;
  readonly blockers: readonly string[];
}

/** A statement took a lock or rewrite the checklist forbids: the migration was rolled back. */
export class LockLimitError extends CheckFailedError {
  constructor(
    readonly breaches: readonly string[],
    readonly statements: readonly StatementReport[],
  ) {
    super(`the migration broke its lock limits, so it was rolled back: ${breaches.join('; ')}`, { code: 'lock_limit' });
  }
}

/** Every retry ran out of lock_timeout behind the same kind of blocker. */
export class LockWaitError extends CheckFailedError {
  constructor(
    message: string,
    readonly lockWaits: readonly LockWaitAttempt[],
  ) {
    super(message, {
      code: 'lock_timeout',
      hint: 'end or wait out the blocking transaction, then run the step again; nothing of the migration was kept',
    });
  }
}

/** Internal: the statement ran out of lock_timeout; the caller decides whether to try again. */
export class StatementLockTimeout extends Error {
  constructor(readonly statement: ParsedStatement) {
    super('lock timeout');
  }
}

/** The name of the index a CREATE INDEX CONCURRENTLY builds, if this is one and it is named. */
export function concurrentIndexName(statement: ParsedStatement): string | undefined {
  return statement.type === 'IndexStmt' && statement.node.concurrent && statement.node.idxname
    ? String(statement.node.idxname)
    : undefined;
}

/** The first table a statement names (`schema.table` or `table`), depth first: the one whose lock it waited for. */
export function firstRelation(statement: ParsedStatement): string | undefined {
  const visit = (node: unknown): string | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    const record = node as Record<string, unknown>;
    if (typeof record.relname === 'string')
      return record.schemaname ? `${String(record.schemaname)}.${record.relname}` : record.relname;
    for (const value of Object.values(record)) {
      const found = visit(value);
      if (found) return found;
    }
    return undefined;
  };
  return visit(statement.node);
}
