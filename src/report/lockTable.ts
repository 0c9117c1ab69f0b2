import type { StatementReport } from '../db/migrations/statementLocks.js';

/** One migration's statements as the report shows them: what each locked, rewrote and took. */
export interface LockTable {
  readonly migration: string;
  readonly rows: readonly (readonly string[])[];
}

export const lockTableHeader = [
  'line',
  'statement',
  'lock on existing tables',
  'blocks reads',
  'blocks writes',
  'rewrite',
  'time (ms)',
] as const;

/**
 * The per-statement lock tables a step observed (`observed.statements`: migration id →
 * StatementReport[], as the migrate step records them), or none for any other observation.
 */
export function lockTables(observed: unknown): LockTable[] {
  const statements = (observed as { statements?: unknown } | undefined)?.statements;
  if (statements === null || typeof statements !== 'object' || Array.isArray(statements)) return [];
  return Object.entries(statements as Record<string, StatementReport[]>)
    .filter(([, reports]) => Array.isArray(reports) && reports.length > 0)
    .map(([migration, reports]) => ({ migration, rows: reports.map(row) }));
}

function row(report: StatementReport): string[] {
  const locks =
    report.skipped ?? report.unmeasured ?? (report.locks.map((l) => `${l.mode} on ${l.table}`).join(', ') || 'none');
  const measured = report.skipped === undefined && report.unmeasured === undefined;
  const any = (pick: (l: StatementReport['locks'][number]) => boolean) =>
    measured ? (report.locks.some(pick) ? 'yes' : 'no') : '–';
  return [
    String(report.line),
    report.statement,
    locks,
    any((l) => l.blocksReads),
    any((l) => l.blocksWrites),
    measured ? (report.rewritten.length > 0 ? `yes (${report.rewritten.join(', ')})` : 'no') : '–',
    report.skipped === undefined ? String(report.durationMs) : '–',
  ];
}
