import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

export interface ChartAssets {
  readonly script: string;
  readonly stylesheet: string;
}

const require = createRequire(import.meta.url);

/**
 * uPlot's browser build and stylesheet, read from node_modules when a report is
 * written, so the HTML file carries them inline and opens offline.
 */
export async function loadChartAssets(): Promise<ChartAssets> {
  const [script, stylesheet] = await Promise.all([
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ]);
  return { script, stylesheet };
}
