import { statusWords } from '../engine/statusWords.js';
import { chartsOf, type StepCharts } from './charts.js';
import { escapeHtml as e, scriptJson } from './htmlEscape.js';
import { approvalsHtml, benchmarksHtml, completionHtml, rollbackHtml, stepsHtml } from './htmlSteps.js';
import type { RunReport } from './runReport.js';
import type { ChartAssets } from './uplotAssets.js';

const style = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1d232a; }
h1 { font-size: 1.5rem; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; }
th { background: #f6f8fa; } tr.met td:last-child { color: #1a7f37; font-weight: 600; } tr.not-met td:last-child, .bad { color: #cf222e; font-weight: 600; }
tr.Error td, tr.RolledBack td { background: #fff5f5; } code { background: #f6f8fa; padding: 0 .2rem; border-radius: 3px; }
.phase.passed strong { color: #1a7f37; } .phase.failed strong, .phase.rolled_back strong { color: #cf222e; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1rem; }
.chart { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem; min-height: 240px; }
pre { background: #f6f8fa; padding: .6rem; overflow: auto; max-height: 30rem; } .step { margin-bottom: 1.2rem; }
ol.progress { margin: 0; max-height: 12rem; overflow: auto; }
`;

// Draws each series with uPlot; a breached window gets a red line at its last sample.
const drawCharts = `
for (const step of CHARTS) {
  const box = document.getElementById('charts-' + step.stepId);
  for (const s of step.series) {
    const el = document.createElement('div');
    el.className = 'chart';
    el.dataset.series = s.key;
    box.appendChild(el);
    const breach = step.breachedAt;
    new uPlot({
      title: s.title + ' (' + s.unit + ')',
      width: Math.max(480, el.clientWidth - 16),
      height: 220,
      scales: { x: { time: true } },
      series: [{}, { label: s.title, stroke: '#2a6fdb', width: 2, points: { show: true, size: 4 } }],
      axes: [{}, { label: s.unit }],
      hooks: breach === undefined ? {} : { draw: [(u) => {
        const x = Math.round(u.valToPos(breach, 'x', true));
        const ctx = u.ctx; ctx.save(); ctx.strokeStyle = '#cf222e'; ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); ctx.restore();
      }] },
    }, [s.xs, s.ys], el);
  }
}
`;

/**
 * The HTML report: one self-contained file (uPlot inlined, no request leaves it) with
 * the completion status, the benchmark tables, a chart of every monitored series over
 * time, every step's evidence as in the Markdown report, approvals and rollback.
 *
 * @example
 * const html = renderHtmlReport(await buildRunReport(run, runs, checklist), await loadChartAssets());
 */
export function renderHtmlReport(report: RunReport, assets: ChartAssets): string {
  const { run } = report;
  const charts = chartsOf(report.steps);
  const meta = [
    ['Environment', `${run.environment} (${run.target})`],
    ['Status', `${statusWords(run.status)}${run.message ? ` - ${run.message}` : ''}`],
    ['Started', run.startedAt],
    ['Last event', run.updatedAt],
    ['Operators', run.operators.join(', ')],
    ...Object.entries(report.metadata),
    ...run.leaseTakeovers.map((t) => [
      'Lease taken over',
      `${t.at} by ${t.holder} from ${t.previousHolder} (${t.reason})`,
    ]),
  ];
  const title = `${run.checklist}: run ${run.id}${run.rehearsal ? ' (rehearsal)' : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${e(title)}</title>
<style>${assets.stylesheet}</style><style>${style}</style></head>
<body>
<h1>${e(title)}</h1>
<ul>${meta.map(([k, v]) => `<li><strong>${e(k!)}:</strong> ${e(v!)}</li>`).join('')}</ul>
${completionHtml(report.completion)}
${benchmarksHtml(report.benchmarks)}
${chartsHtml(charts)}
${stepsHtml(report.steps)}
${approvalsHtml(report)}
${rollbackHtml(report)}
<footer><em>Generated ${e(report.generatedAt)} by shipcheck from the run log (events.jsonl).</em></footer>
<script>${assets.script.replace(/<\/script/gi, '<\\/script')}</script>
<script>const CHARTS = ${scriptJson(charts)};${drawCharts}</script>
</body></html>
`;
}

function chartsHtml(charts: readonly StepCharts[]): string {
  if (charts.length === 0) return '';
  const sections = charts.map(
    (c) =>
      `<h3>${e(c.title)} <code>${e(c.stepId)}</code>${c.breachedAt !== undefined ? ' <span class="bad">(criterion breached at the red line)</span>' : ''}</h3>` +
      (c.functionSource ? `<p class="function-source">Function figures: ${e(c.functionSource)}</p>` : '') +
      (c.gaps ?? [])
        .map(
          (g) =>
            `<p class="gap bad">No samples from ${e(g.from)} to ${e(g.to)}: shipcheck was not running (the window went on after the resume; the charts break there).</p>`,
        )
        .join('') +
      (c.serverChanges ?? []).map((text) => `<p class="server-change bad">${e(text)}</p>`).join('') +
      `<div class="charts" id="charts-${e(c.stepId)}"></div>`,
  );
  return `<section id="monitoring"><h2>Monitoring</h2>${sections.join('\n')}</section>`;
}
