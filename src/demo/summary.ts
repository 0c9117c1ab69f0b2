import { relative } from 'node:path';
import type { DeployGateResult } from '../engine/deployGate.js';
import type { ZeroDowntimeFigures } from './shieldUnderLoad.js';
import type { DemoResult } from './types.js';

const headline: Record<DemoResult['outcome'], string> = {
  passed: 'PASSED: migration 024 is live in production and PR #654 is merged',
  rolled_back: 'ROLLED BACK on staging: the rollback procedure ran and verified the function is gone',
  awaiting_approval: 'WAITING FOR APPROVAL',
  rejected: 'REJECTED',
  interrupted: 'INTERRUPTED by Ctrl-C',
  failed: 'FAILED',
};

/**
 * The demo's closing block as text lines: status, reports, the deploy gate before and
 * after, the zero-downtime figures, what to do next, the wall time. No secret in it:
 * databases by name, connection variables by name.
 */
export function summaryLines(result: DemoResult): string[] {
  const lines = [
    '',
    `== shipcheck demo: ${headline[result.outcome]} (exit ${result.exitCode}) ==`,
    ...interruptionLines(result),
  ];
  if (result.completionText) lines.push('', result.completionText);
  if (result.locksText) lines.push('', result.locksText);
  if (result.reports.length > 0)
    lines.push(
      '',
      'Reports (the same as shipcheck report RUN --format md|html):',
      ...result.reports.map((r) => `  ${short(r)}`),
    );
  lines.push('', 'Deploy gate (shipcheck gate checklists/migration-024.yaml --env production --require deployed):');
  if (result.gate.beforeProduction) lines.push(`  before production: ${gateText(result.gate.beforeProduction)}`);
  if (result.gate.atEnd) lines.push(`  at the end:        ${gateText(result.gate.atEnd)}`);
  if (result.zeroDowntime.length > 0) {
    lines.push(
      '',
      'Zero downtime (Shield API under synthetic load; the legacy → rpc switch is the app change going live):',
    );
    for (const figures of result.zeroDowntime) lines.push(...figureLines(figures));
  }
  if (result.notifications.length > 0)
    lines.push('', `Notifications received by the demo's webhook: ${result.notifications.length}`);
  lines.push('', `State dir: ${short(result.stateDir)}  (shipcheck status --state-dir ${short(result.stateDir)})`);
  lines.push(...databaseLines(result));
  lines.push(...continueLines(result));
  lines.push('', `Wall time: ${(result.wallMs / 1000).toFixed(1)} s`);
  return lines;
}

function gateText(gate: DeployGateResult): string {
  if (gate.ok) return 'OPEN (exit 0)';
  const unmet = gate.checks.find((c) => !c.met);
  return `CLOSED (exit 1): ${unmet ? `${unmet.requirement}: ${unmet.observed}` : 'nothing to check'}`;
}

function figureLines(f: ZeroDowntimeFigures): string[] {
  const served = Object.entries(f.byWriter)
    .filter(([, c]) => c.success + c.failed > 0)
    .map(([writer, c]) => `${writer} ${c.success + c.failed}`)
    .join(', ');
  const lines = [
    `  ${f.environment}: ${f.requests} requests at ${f.throughput}/s, ${f.errors} errors (${(f.errorRate * 100).toFixed(2)} %), ` +
      `latency p50 ${f.latencyMs.p50} ms, p95 ${f.latencyMs.p95} ms, p99 ${f.latencyMs.p99} ms; served by writer: ${served}`,
  ];
  for (const w of f.windows)
    lines.push(`    ${w.label}: ${w.failed} failed of ${w.requests} requests (from its start to 1 s after)`);
  if (f.loadError) lines.push(`    the load generator stopped: ${f.loadError}`);
  return lines;
}

/** Where Ctrl-C stopped the demo; what it left is said below (state dir, databases). */
function interruptionLines(result: DemoResult): string[] {
  if (result.outcome !== 'interrupted') return [];
  const run = result.runs.at(-1);
  const stopped = run
    ? `Stopped the ${run.environment} run ${run.runId}${run.message ? `: ${run.message}` : ''}.`
    : 'Stopped before its first run.';
  return [
    '',
    stopped,
    'Nothing after that ran; the run logs, evidence and reports written so far are in the state dir.',
  ];
}

function databaseLines(result: DemoResult): string[] {
  const { databases } = result;
  if (!databases.staging) return [];
  if (databases.dropError !== undefined) {
    return [
      `Databases: ${databases.staging} and ${databases.production} could not be dropped (${databases.dropError})`,
    ];
  }
  if (!databases.kept) return [`Databases: ${databases.staging} and ${databases.production} dropped`];
  return [
    `Databases kept on the server DATABASE_URL points at; the checklist reads them from:`,
    ...Object.entries(databases.variables).map(
      ([name, database]) => `  ${name} = DATABASE_URL with the database ${database}`,
    ),
  ];
}

function continueLines(result: DemoResult): string[] {
  const { waitingFor, continueWith } = result;
  if (!waitingFor || !continueWith) return [];
  const lines = [
    '',
    `The run waits for the ${waitingFor.role}'s decision on "${waitingFor.title}": nobody could give it here (no terminal, no --approve-as).`,
  ];
  if (result.databases.kept)
    return [...lines, 'To continue by hand, with those variables set:', ...continueWith.map((c) => `  ${c}`)];
  return [
    ...lines,
    'Its databases lived on the embedded PostgreSQL, which is gone with the demo. To decide by hand, run the demo with',
    'DATABASE_URL set to a server of your own (the databases are then kept and these commands continue it):',
    ...continueWith.map((c) => `  ${c}`),
    'or let the demo record the decisions: shipcheck demo --approve-as "YOUR NAME".',
  ];
}

function short(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere !== '' && !fromHere.startsWith('..') ? fromHere : path;
}
