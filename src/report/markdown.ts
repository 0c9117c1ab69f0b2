import { statusWords } from '../engine/statusWords.js';
import { renderBenchmarkMarkdown } from './benchmarkTable.js';
import { approvedEvidence, renderCompletionStatus } from './completionStatus.js';
import { lockTableHeader, lockTables } from './lockTable.js';
import type { ReportStep, RunReport } from './runReport.js';

const observedLineLimit = 60;

/** The Markdown report: fit to commit as test evidence (docs/test-evidence/…). */
export function renderMarkdownReport(report: RunReport): string {
  const { run } = report;
  const meta = Object.entries(report.metadata).map(([k, v]) => `- **${k}:** ${v}`);
  const out: string[] = [
    `# ${run.checklist}: run ${run.id}${run.rehearsal ? ' (rehearsal)' : ''}`,
    '',
    `- **Environment:** ${run.environment} (${run.target})`,
    `- **Status:** ${statusWords(run.status)}${run.message ? ` - ${run.message}` : ''}`,
    `- **Started:** ${run.startedAt}`,
    `- **Last event:** ${run.updatedAt}`,
    `- **Operators:** ${run.operators.join(', ')}`,
    `- **Run log:** ${run.log.summary}`,
    ...meta,
    ...run.leaseTakeovers.map(
      (t) => `- **Lease taken over** ${t.at} by ${t.holder} from ${t.previousHolder} (${t.reason})`,
    ),
    '',
    renderCompletionStatus(report.completion),
    '',
    '## Steps',
    '',
    '| # | Phase | Step | Kind | Status | Duration |',
    '|---|-------|------|------|--------|----------|',
    ...report.steps.map(
      (s, i) =>
        `| ${i + 1} | ${s.phaseId} | ${cell(s.title)} | ${s.kind} | ${s.status} | ${s.durationMs === undefined ? '' : `${s.durationMs} ms`} |`,
    ),
    '',
    ...renderBenchmarkMarkdown(report.benchmarks),
    ...report.steps.flatMap(renderStep),
  ];
  const approvals = Object.entries(report.approvals);
  if (approvals.length > 0) {
    out.push('## Approvals', '');
    for (const [stepId, a] of approvals) {
      out.push(
        `- **${stepId}:** ${a.decision.toUpperCase()} by ${a.by} at ${a.at} (OS user ${a.osUser})` +
          (a.conditions ? `; conditions: ${a.conditions}${a.conditionsMet ? ' (met)' : ' (not met yet)'}` : '') +
          (a.note ? `; note: ${a.note}` : '') +
          (approvedEvidence(a) ? `; approved: ${approvedEvidence(a)}` : ''),
      );
    }
    out.push('');
  }
  if (report.rollback) {
    const r = report.rollback;
    out.push(
      '## Rollback',
      '',
      `- **Branch:** ${r.branch}`,
      `- **Reason:** ${r.reason}`,
      `- **Outcome:** ${r.status}`,
      '',
    );
    if (r.status === 'failed') out.push('**FAILED TO ROLL BACK: manual repair needed.**', '');
  }
  out.push(`_Generated ${report.generatedAt} by shipcheck from the run log (events.jsonl)._`, '');
  return out.join('\n');
}

function renderStep(step: ReportStep): string[] {
  const lines = [
    `### ${step.title} (\`${step.id}\`, ${step.kind})`,
    '',
    `- **Status:** ${step.status}${step.onFailAction ? ` (on_fail: ${step.onFailAction})` : ''}`,
  ];
  if (step.expected !== undefined) lines.push(`- **Expected:** ${step.expected}`);
  if (step.message !== undefined) lines.push(`- **Result:** ${step.message}`);
  if (step.error?.detail) lines.push(`- **Detail:** ${step.error.detail}`);
  if (step.startedAt)
    lines.push(
      `- **Started:** ${step.startedAt}${step.finishedAt ? `, finished ${step.finishedAt}` : ''}${step.attempts > 1 ? ` (attempt ${step.attempts})` : ''}`,
    );
  if (step.approval)
    lines.push(`- **Approved by:** ${step.approval.by} (${step.approval.decision}, ${step.approval.at})`);
  for (const [name, value] of Object.entries(step.metrics ?? {})) lines.push(`- **${name}:** ${value}`);
  for (const e of step.evidence) {
    lines.push(
      `- **Evidence:** \`${e.path}\` - ${e.description} (${e.bytes} bytes, sha256 \`${e.sha256}\`${e.intact ? '' : ', CHANGED OR MISSING'})`,
    );
  }
  if (step.progress.length > 0) lines.push(`- **Progress:** ${step.progress.join('; ')}`);
  for (const table of lockTables(step.observed)) {
    lines.push(
      '',
      `Locks, statement by statement (migration ${table.migration}):`,
      '',
      `| ${lockTableHeader.join(' | ')} |`,
      `|${lockTableHeader.map(() => '---').join('|')}|`,
    );
    for (const cells of table.rows) lines.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  if (step.observed !== undefined) {
    const json = JSON.stringify(step.observed, null, 2).split('\n');
    const shown =
      json.length > observedLineLimit
        ? [...json.slice(0, observedLineLimit), `… (${json.length - observedLineLimit} more lines in the JSON report)`]
        : json;
    lines.push('', '<details><summary>Observed</summary>', '', '```json', ...shown, '```', '', '</details>');
  }
  lines.push('');
  return lines;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
