import type { AstNode } from '../db/sqlStatements.js';
import { parseStatements, type ParsedStatement } from '../db/sqlStatements.js';
import { lintRuleIds, lintRules } from './rules/index.js';
import type { FileFacts } from './rules/types.js';
import { outsideTransactionReason } from '../db/sqlStatements.js';
import { waiversOf } from './waivers.js';

export interface LintFinding {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The statement's first line, for the reader to find it. */
  readonly statement: string;
  readonly message: string;
  readonly why: string;
  readonly rewrite: string;
}

export interface WaivedFinding {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly reason: string;
}

export interface LintReport {
  readonly file: string;
  readonly statements: number;
  readonly findings: readonly LintFinding[];
  readonly waived: readonly WaivedFinding[];
}

export interface LintOptions {
  /** Rule ids not applied at all (a checklist's or the command line's `disable`). */
  readonly disable?: readonly string[];
  /** The PostgreSQL major version the migration targets. Default 15. */
  readonly pgVersion?: number;
}

/** The rule id for a malformed waiver comment: it is always reported and cannot itself be waived. */
export const invalidWaiverRule = 'invalid-waiver';

/**
 * Lints one migration's SQL on its parse tree: every rule, minus the disabled ones, minus
 * the statement-level waivers written in the file (which are listed with their reasons).
 *
 * @example
 * const report = await lintSql('create index i on t (a);', 'db/migrations/025_i.sql');
 * report.findings[0]?.rule // 'require-concurrent-index-creation'
 */
export async function lintSql(sql: string, file: string, options: LintOptions = {}): Promise<LintReport> {
  const statements = await parseStatements(sql, file);
  const facts = fileFacts(statements, options.pgVersion ?? 15);
  const disabled = new Set(options.disable ?? []);
  const findings: LintFinding[] = [];
  const waived: WaivedFinding[] = [];
  statements.forEach((statement, index) => {
    const { waivers, problems } = waiversOf(statement, lintRuleIds);
    for (const { comment, problem } of problems) {
      findings.push(
        finding(statement, file, invalidWaiverRule, `the waiver "-- ${comment}" ${problem}`, {
          why: 'A waiver must name the rule it waives and say why, so a reviewer can judge it.',
          rewrite: '-- shipcheck-lint allow RULE-ID: the reason this statement is safe here',
        }),
      );
    }
    for (const rule of lintRules) {
      if (disabled.has(rule.id)) continue;
      for (const message of rule.check(statement, index, facts)) {
        const waiver = waivers.find((w) => w.rule === rule.id);
        if (waiver) waived.push({ rule: rule.id, file, line: statement.line, message, reason: waiver.reason });
        else findings.push(finding(statement, file, rule.id, message, rule));
      }
    }
  });
  return { file, statements: statements.length, findings, waived };
}

function finding(
  statement: ParsedStatement,
  file: string,
  rule: string,
  message: string,
  advice: { why: string; rewrite: string },
): LintFinding {
  return {
    rule,
    file,
    line: statement.line,
    column: statement.column,
    statement: statement.text.split('\n')[0]!.slice(0, 160),
    message,
    why: advice.why,
    rewrite: advice.rewrite,
  };
}

function fileFacts(statements: readonly ParsedStatement[], pgVersion: number): FileFacts {
  const created = statements.map((s) => (s.type === 'CreateStmt' ? (s.node.relation as AstNode) : undefined));
  return {
    statements,
    pgVersion,
    nonTransactional: statements.some((s) => outsideTransactionReason(s) !== undefined),
    isNewTable(relation, index) {
      if (!relation) return false;
      return created
        .slice(0, index)
        .some(
          (table) =>
            table !== undefined &&
            table.relname === relation.relname &&
            (!table.schemaname || !relation.schemaname || table.schemaname === relation.schemaname),
        );
    },
  };
}
