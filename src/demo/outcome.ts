import { relative } from 'node:path';
import type { RunStatus } from '../engine/state.js';
import { ExitCode, InterruptedError, ShipcheckError } from '../errors.js';
import type { ApprovalRequest, DemoOutcome } from './types.js';

/** What the demo's last run ended as, and the exit code `shipcheck run` would give it. */
export function outcomeOf(
  status: RunStatus | undefined,
  waitingFor: ApprovalRequest | undefined,
  error: Error | undefined,
  /** The operator pressed Ctrl-C (the demo's signal was aborted). */
  interrupted = false,
): { outcome: DemoOutcome; exitCode: number } {
  if (waitingFor) return { outcome: 'awaiting_approval', exitCode: ExitCode.awaitingApproval };
  if (status === 'passed' && !error) return { outcome: 'passed', exitCode: ExitCode.ok };
  if (status === 'rolled_back') return { outcome: 'rolled_back', exitCode: ExitCode.checkFailed };
  if (status === 'rejected') return { outcome: 'rejected', exitCode: ExitCode.checkFailed };
  // Whatever else broke after a Ctrl-C (a terminal's Ctrl-C also reaches an embedded server) followed from it.
  if (interrupted || error instanceof InterruptedError)
    return { outcome: 'interrupted', exitCode: ExitCode.interrupted };
  const exitCode = error instanceof ShipcheckError ? error.exitCode : error ? ExitCode.internal : ExitCode.checkFailed;
  return { outcome: 'failed', exitCode };
}

/** The exact commands that continue a run stopped at an approval, once the variables are set. */
export function continueCommands(request: ApprovalRequest, checklistFile: string, stateDir: string): string[] {
  const file = shortPath(checklistFile);
  const dir = shortPath(stateDir);
  return [
    `shipcheck approve ${request.runId} --by "YOUR NAME" --decision approved --state-dir ${dir}`,
    `shipcheck run ${file} --env ${request.environment} --state-dir ${dir}`,
    ...(request.environment === 'staging' ? [`shipcheck run ${file} --env production --state-dir ${dir}`] : []),
  ];
}

function shortPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere !== '' && !fromHere.startsWith('..') ? fromHere : path;
}
