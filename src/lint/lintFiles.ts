import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { type LintOptions, type LintReport, lintSql } from './lintSql.js';
import { lintRuleIds } from './rules/index.js';

/**
 * Lints migration files in the order given. Every file is read and parsed before any
 * verdict: a missing or unparseable file, or an unknown rule id in `disable`, is a usage
 * error naming it.
 */
export async function lintFiles(files: readonly string[], options: LintOptions = {}): Promise<LintReport[]> {
  const unknown = (options.disable ?? []).filter((id) => !lintRuleIds.includes(id));
  if (unknown.length > 0) {
    throw new UsageError(`unknown lint rule ${unknown.join(', ')}`, { hint: `rules: ${lintRuleIds.join(', ')}` });
  }
  if (files.length === 0) throw new UsageError('name at least one migration file to lint');
  const reports: LintReport[] = [];
  for (const file of files) {
    let sql: string;
    try {
      sql = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    reports.push(await lintSql(sql, file, options));
  }
  return reports;
}

/** The report as lines for a terminal: `file:line:col rule: message`, then why and the rewrite. */
export function renderLintReports(reports: readonly LintReport[]): string[] {
  const lines: string[] = [];
  for (const report of reports) {
    for (const f of report.findings) {
      lines.push(`${f.file}:${f.line}:${f.column} ${f.rule}: ${f.message}`);
      lines.push(`  ${f.statement}`);
      lines.push(`  why: ${f.why}`);
      lines.push(`  instead: ${f.rewrite}`);
    }
    for (const w of report.waived) lines.push(`${w.file}:${w.line} ${w.rule} waived: ${w.reason}`);
  }
  const findings = reports.reduce((n, r) => n + r.findings.length, 0);
  const waived = reports.reduce((n, r) => n + r.waived.length, 0);
  const statements = reports.reduce((n, r) => n + r.statements, 0);
  lines.push(
    `${findings === 0 ? '✔' : '✖'} ${findings} finding(s) in ${reports.length} file(s), ${statements} statement(s)${waived > 0 ? `, ${waived} waived` : ''}`,
  );
  return lines;
}
