import type { ParsedStatement } from './sqlStatements.js';

/**
 * Why a statement cannot run inside a transaction block, or undefined when it can
 * (PostgreSQL refuses these with "… cannot run inside a transaction block").
 */
export function outsideTransactionReason({ type, node }: ParsedStatement): string | undefined {
  if (type === 'IndexStmt' && node.concurrent) return 'CREATE INDEX CONCURRENTLY';
  if (type === 'DropStmt' && node.concurrent) return 'DROP INDEX CONCURRENTLY';
  if (type === 'ReindexStmt' && hasOption(node.params, 'concurrently')) return 'REINDEX CONCURRENTLY';
  if (type === 'VacuumStmt' && node.is_vacuumcmd) return 'VACUUM';
  if (type === 'AlterSystemStmt') return 'ALTER SYSTEM';
  if (type === 'CreatedbStmt') return 'CREATE DATABASE';
  if (type === 'DropdbStmt') return 'DROP DATABASE';
  if (type === 'CreateTableSpaceStmt') return 'CREATE TABLESPACE';
  if (type === 'DropTableSpaceStmt') return 'DROP TABLESPACE';
  return undefined;
}

function hasOption(params: unknown, name: string): boolean {
  return Array.isArray(params) && params.some((p: { DefElem?: { defname?: string } }) => p.DefElem?.defname === name);
}
