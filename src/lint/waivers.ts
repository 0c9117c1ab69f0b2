import type { ParsedStatement } from '../db/sqlStatements.js';

/** A rule waived for one statement, with the reason the author wrote down. */
export interface Waiver {
  readonly rule: string;
  readonly reason: string;
}

export interface WaiverProblem {
  readonly comment: string;
  readonly problem: string;
}

const waiverComment = /^shipcheck-lint\s+allow\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*(?::\s*(.*))?$/i;

/**
 * Waivers written just above a statement:
 * `-- shipcheck-lint allow require-concurrent-index-creation: the table is created empty in 023`.
 * A waiver without a reason, or naming no known rule, waives nothing and is reported.
 */
export function waiversOf(
  statement: ParsedStatement,
  knownRules: readonly string[],
): { waivers: Waiver[]; problems: WaiverProblem[] } {
  const waivers: Waiver[] = [];
  const problems: WaiverProblem[] = [];
  for (const comment of statement.leadingComments) {
    if (!/^shipcheck-lint\b/i.test(comment)) continue;
    const match = waiverComment.exec(comment);
    if (!match) {
      problems.push({ comment, problem: 'is not of the form "shipcheck-lint allow RULE[, RULE]: reason"' });
      continue;
    }
    const reason = (match[2] ?? '').trim();
    const rules = match[1]!.split(',').map((id) => id.trim().toLowerCase());
    const unknown = rules.filter((id) => !knownRules.includes(id));
    if (unknown.length > 0) problems.push({ comment, problem: `names no known rule: ${unknown.join(', ')}` });
    if (reason === '') problems.push({ comment, problem: 'gives no reason (write it after a colon)' });
    if (unknown.length > 0 || reason === '') continue;
    for (const rule of rules) waivers.push({ rule, reason });
  }
  return { waivers, problems };
}
