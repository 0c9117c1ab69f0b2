import {
  benchmarkCells,
  benchmarkHeader,
  functionSourceLine,
  measuredFrom,
  type ReportBenchmark,
} from './benchmarkTable.js';
import { approvedEvidence, phaseLabel, type CompletionStatus } from './completionStatus.js';
import { escapeHtml as e } from './htmlEscape.js';
import { lockTableHeader, lockTables } from './lockTable.js';
import type { ReportStep, RunReport } from './runReport.js';

const observedLineLimit = 200;

/** The seed's "Completion Status" block. */
export function completionHtml(status: CompletionStatus): string {
  const percent = status.phases.length === 0 ? 0 : Math.round((status.completed / status.phases.length) * 100);
  const pending = status.pendingApproval
    ? `<p><strong>Pending approval:</strong> ${e(status.pendingApproval.stepId)} - ${e(status.pendingApproval.message)}</p>`
    : '';
  const attention = status.attention.length
    ? `<p><strong>Failed or warned steps:</strong></p><ul>${status.attention.map((s) => `<li class="step ${s.status}"><strong>${s.status === 'warned' ? 'WARNED' : 'FAILED'}</strong>: ${e(s.stepId)} (${e(s.title)}, ${e(s.phaseId)}) - ${e(s.message)}</li>`).join('')}</ul>`
    : '';
  return `<section id="completion"><h2>Completion Status</h2>
<p><strong>Overall progress:</strong> ${percent}% (${status.completed}/${status.phases.length} phases complete)</p>
<ul>${status.phases.map((p) => `<li class="phase ${p.status}">Phase ${p.number}: <strong>${phaseLabel(p.status)}</strong> - ${e(p.title)} (${e(p.environment)})</li>`).join('')}</ul>${attention}${pending}</section>`;
}

export function benchmarksHtml(tables: readonly ReportBenchmark[]): string {
  if (tables.length === 0) return '';
  const table = (t: ReportBenchmark) => `<h3>${e(t.title)} <code>${e(t.stepId)}</code> (${e(t.status)})</h3>
<p>Baseline: ${t.benchmark.baselineStep ? `<code>${e(t.benchmark.baselineStep)}</code>` : 'none named'}; after: ${e(measuredFrom(t))}.</p>
${functionSourceLine(t.benchmark) ? `<p class="function-source">${e(functionSourceLine(t.benchmark))}</p>\n` : ''}<table class="benchmark"><thead><tr>${benchmarkHeader.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${t.benchmark.rows
  .map(
    (row) =>
      `<tr class="${row.met === null ? '' : row.met ? 'met' : 'not-met'}">${benchmarkCells(row, false)
        .map((c) => `<td>${e(c)}</td>`)
        .join('')}</tr>`,
  )
  .join('\n')}
</tbody></table>`;
  return `<section id="benchmarks"><h2>Performance Benchmarking</h2>${tables.map(table).join('\n')}</section>`;
}

export function stepsHtml(steps: readonly ReportStep[]): string {
  const rows = steps
    .map(
      (s, i) =>
        `<tr class="${e(s.status)}"><td>${i + 1}</td><td>${e(s.phaseId)}</td><td><a href="#step-${e(s.id)}">${e(s.title)}</a></td><td>${e(s.kind)}</td><td>${e(s.status)}</td><td>${s.durationMs === undefined ? '' : `${s.durationMs} ms`}</td></tr>`,
    )
    .join('\n');
  return `<section id="steps"><h2>Steps</h2>
<table><thead><tr><th>#</th><th>Phase</th><th>Step</th><th>Kind</th><th>Status</th><th>Duration</th></tr></thead><tbody>
${rows}
</tbody></table>
${steps.map(stepHtml).join('\n')}</section>`;
}

function stepHtml(step: ReportStep): string {
  const items: string[] = [
    `<li><strong>Status:</strong> ${e(step.status)}${step.onFailAction ? ` (on_fail: ${e(step.onFailAction)})` : ''}</li>`,
  ];
  const item = (label: string, text: string) => items.push(`<li><strong>${label}:</strong> ${e(text)}</li>`);
  if (step.expected !== undefined) item('Expected', step.expected);
  if (step.message !== undefined) item('Result', step.message);
  if (step.error?.detail) item('Detail', step.error.detail);
  if (step.startedAt)
    item(
      'Started',
      `${step.startedAt}${step.finishedAt ? `, finished ${step.finishedAt}` : ''}${step.attempts > 1 ? ` (attempt ${step.attempts})` : ''}`,
    );
  if (step.approval) item('Approved by', `${step.approval.by} (${step.approval.decision}, ${step.approval.at})`);
  for (const [name, value] of Object.entries(step.metrics ?? {})) item(name, String(value));
  for (const ev of step.evidence) {
    items.push(
      `<li><strong>Evidence:</strong> <code>${e(ev.path)}</code> - ${e(ev.description)} (${ev.bytes} bytes, sha256 <code>${e(ev.sha256)}</code>${ev.intact ? '' : ', <strong class="bad">CHANGED OR MISSING</strong>'})</li>`,
    );
  }
  if (step.progress.length > 0)
    items.push(
      `<li><strong>Progress:</strong><ol class="progress">${step.progress.map((p) => `<li>${e(p)}</li>`).join('')}</ol></li>`,
    );
  const locks = lockTables(step.observed)
    .map(
      (
        t,
      ) => `<h4>Locks, statement by statement (migration ${e(t.migration)})</h4><table class="locks"><thead><tr>${lockTableHeader.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>
${t.rows.map((cells) => `<tr>${cells.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`,
    )
    .join('');
  let observed = '';
  if (step.observed !== undefined) {
    const json = JSON.stringify(step.observed, null, 2).split('\n');
    const shown =
      json.length > observedLineLimit
        ? [...json.slice(0, observedLineLimit), `… (${json.length - observedLineLimit} more lines in the JSON report)`]
        : json;
    observed = `<details><summary>Observed</summary><pre>${e(shown.join('\n'))}</pre></details>`;
  }
  return `<article class="step" id="step-${e(step.id)}"><h3>${e(step.title)} (<code>${e(step.id)}</code>, ${e(step.kind)})</h3><ul>${items.join('')}</ul>${locks}${observed}</article>`;
}

export function approvalsHtml(report: RunReport): string {
  const approvals = Object.entries(report.approvals);
  if (approvals.length === 0) return '';
  const lines = approvals.map(
    ([stepId, a]) =>
      `<li><strong>${e(stepId)}:</strong> ${e(a.decision.toUpperCase())} by ${e(a.by)} at ${e(a.at)} (OS user ${e(a.osUser)})` +
      (a.conditions ? `; conditions: ${e(a.conditions)}${a.conditionsMet ? ' (met)' : ' (not met yet)'}` : '') +
      (a.note ? `; note: ${e(a.note)}` : '') +
      (approvedEvidence(a) ? `; approved: ${e(approvedEvidence(a)!)}` : '') +
      '</li>',
  );
  return `<section id="approvals"><h2>Approvals</h2><ul>${lines.join('')}</ul></section>`;
}

export function rollbackHtml(report: RunReport): string {
  const r = report.rollback;
  if (!r) return '';
  return `<section id="rollback"><h2>Rollback</h2><ul><li><strong>Branch:</strong> ${e(r.branch)}</li><li><strong>Reason:</strong> ${e(r.reason)}</li><li><strong>Outcome:</strong> ${e(r.status)}</li></ul>${r.status === 'failed' ? '<p class="bad"><strong>FAILED TO ROLL BACK: manual repair needed.</strong></p>' : ''}</section>`;
}
