import type { RunReport } from './runReport.js';

/** The JSON report: the report data as is, stable keys for tools. */
export function renderJsonReport(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
