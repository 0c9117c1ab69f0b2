import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { listRuns, loadRun } from '../../src/engine/runs.js';
import { renderMarkdownReport } from '../../src/report/markdown.js';
import { buildRunReport, type RunReport } from '../../src/report/runReport.js';
import { monitoredChecklist, monitoredSystem, type MonitoredSystem } from './monitorFixtures.js';

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * A passing run (baseline on the legacy writer, migration 024, the writer switched to rpc,
 * a monitor window with a race probe), then its report in every format.
 */
describe('reports of a monitored run', () => {
  let system: MonitoredSystem;
  let runId: string;
  let report: RunReport;

  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const output: Output = { out: (l) => out.push(l), err: (l) => err.push(l) };
    const code = await main(['node', 'shipcheck', ...args, '--state-dir', system.stateDir], output, system.env);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    system = await monitoredSystem();
    let switched: Promise<void> | undefined;
    const result = await system.run(
      monitoredChecklist(
        'duration: 4s\ninterval: 400ms\nrace_probe: { actions: 50 }\ncriteria: { max_deadlocks: 0, max_function_error_rate: 0.01 }',
      ),
      (event) => {
        // The app change goes live once the migration is: Shield moves to the rpc writer.
        if (event.type === 'step_finished' && event.stepId === 'apply-024') switched ??= system.switchWriter('rpc');
      },
    );
    await switched;
    expect(result.error, result.error?.message).toBeUndefined();
    runId = result.runId!;
    report = await buildRunReport(await loadRun(system.stateDir, runId), await listRuns(system.stateDir));
  });
  afterAll(async () => {
    await system?.close();
  });

  it('the JSON report holds the baseline-vs-after table measured in the run', () => {
    expect(report.benchmarks).toHaveLength(1);
    const rows = Object.fromEntries(report.benchmarks[0]!.benchmark.rows.map((r) => [r.metric, r]));
    expect(report.benchmarks[0]).toMatchObject({
      stepId: 'watch',
      status: 'Success',
      benchmark: { baselineStep: 'before' },
    });
    expect(rows['Race condition events']).toMatchObject({ after: 0, met: true, target: { op: '=', value: 0 } });
    expect(rows['Race condition events']!.baseline).toBeGreaterThanOrEqual(0);
    expect(rows['Avg Shield action latency']!.baseline).toBeGreaterThan(0);
    expect(rows['Avg Shield action latency']!.after).toBeGreaterThan(0);
    expect(rows['Avg DB calls per action']!.after).toBeLessThan(rows['Avg DB calls per action']!.baseline!);
    expect(rows['RPC function mean execution time']!.after).toBeGreaterThan(0);
    console.info(
      `benchmark: ${JSON.stringify(report.benchmarks[0]!.benchmark.rows.map((r) => [r.metric, r.baseline, r.after, r.change, r.met]))}`,
    );
  });

  it('the Markdown report shows the table with targets met / not met', async () => {
    const md = renderMarkdownReport(report);
    expect(md).toContain('## Performance Benchmarking');
    expect(md).toContain('| Metric | Baseline | After | Change | Target | Met |');
    expect(md).toMatch(/\| Race condition events \| \d+ \| 0 \| [^|]* \| 0 \| ✅ met \|/);
    expect(md).toMatch(
      /\| Avg Shield action latency \| [\d.]+ ms \| [\d.]+ ms \| [-+][\d.]+ % \| < 50 ms \| (✅ met|❌ not met) \|/,
    );
    expect(md).toMatch(/\| Avg DB calls per action \| [\d.]+ \| [\d.]+ \| -[\d.]+ % \| ≤ 2 \|/);
    const json = await cli('report', runId, '--format', 'json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ benchmarks: [{ stepId: 'watch' }] });
  });

  it('report --format html writes one self-contained 0600 file: table, steps, uPlot inlined, no outside reference', async () => {
    const file = join(system.dir, 'report.html');
    const written = await cli('report', runId, '--format', 'html', '--out', file);
    expect(written.code, written.err).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const html = await readFile(file, 'utf8');
    expect(html).toContain('<h2>Performance Benchmarking</h2>');
    expect(html).toContain('<td>Race condition events</td>');
    expect(html).toContain('id="step-watch"');
    expect(html).toContain('.uplot'); // the stylesheet, inlined
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain(system.env.SHIELD_API_TOKEN!);
    const bad = await cli('report', runId, '--format', 'pdf');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--format/);
  });

  it('the HTML report renders in Chromium: a canvas per monitored series, no page error, no request out', async (context) => {
    if (!existsSync(chromiumPath)) {
      if (process.env.CI) throw new Error(`${chromiumPath} is missing: CI installs it (apt-get install -y chromium)`);
      context.skip(`${chromiumPath} not installed locally (apt-get install -y chromium)`);
    }
    const file = join(system.dir, 'rendered.html');
    expect((await cli('report', runId, '--format', 'html', '--out', file)).code).toBe(0);
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const charts = await page.locator('#monitoring .chart').count();
      expect(charts).toBeGreaterThanOrEqual(6);
      expect(await page.locator('#monitoring .chart canvas').count()).toBe(charts);
      const series = await page
        .locator('#monitoring .chart')
        .evaluateAll((els) => els.map((el) => el.getAttribute('data-series')));
      expect(series).toEqual(
        expect.arrayContaining([
          'function_calls_per_s',
          'mean_exec_ms',
          'deadlocks',
          'app_latency_mean_ms',
          'app_db_calls_per_request',
        ]),
      );
      expect(await page.locator('table.benchmark tr.met').count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
      if (process.env.SHIPCHECK_REPORT_SCREENSHOT)
        await page.screenshot({ path: process.env.SHIPCHECK_REPORT_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
