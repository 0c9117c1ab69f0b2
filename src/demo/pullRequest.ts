import type { GhAnswer } from './receiver.js';

export interface PullRequestOptions {
  readonly number: number;
  /** The required check: open when the migration is deployed in production (the deploy gate). */
  requiredCheck(): Promise<{ readonly ok: boolean; readonly reason: string }>;
  /** The merge deploys the app change (the demo switches production's Shield to rpc). */
  onMerge(): Promise<string>;
}

/**
 * The blocked pull request as `gh` would report it: BLOCKED while the required check
 * `migration-024-live` is red, CLEAN once it is green; `gh pr merge` refuses while it
 * is red and merges once. Only the two commands the checklist uses are understood.
 */
export function pullRequestStandIn(options: PullRequestOptions): (args: readonly string[]) => Promise<GhAnswer> {
  let merged = false;
  const number = String(options.number);
  return async (args) => {
    const [group, command, target] = args;
    if (group !== 'pr' || target !== number || (command !== 'view' && command !== 'merge')) {
      return {
        exitCode: 1,
        stdout: '',
        stderr: `gh (shipcheck demo stand-in): only "pr view ${number}" and "pr merge ${number}" are known\n`,
      };
    }
    const check = await options.requiredCheck();
    if (command === 'view') {
      const view: Record<string, unknown> = {
        number: options.number,
        state: merged ? 'MERGED' : 'OPEN',
        mergeable: 'MERGEABLE',
        mergeStateStatus: merged ? 'UNKNOWN' : check.ok ? 'CLEAN' : 'BLOCKED',
        statusCheckRollup: [{ name: 'migration-024-live', conclusion: check.ok ? 'SUCCESS' : 'FAILURE' }],
      };
      return { exitCode: 0, stdout: `${JSON.stringify(onlyRequested(view, args))}\n`, stderr: '' };
    }
    if (merged) return { exitCode: 1, stdout: '', stderr: `pull request #${number} is already merged\n` };
    if (!check.ok) {
      return {
        exitCode: 1,
        stdout: '',
        stderr: `X Pull request #${number} is not mergeable: the required check migration-024-live is failing (${check.reason})\n`,
      };
    }
    merged = true;
    const deployed = await options.onMerge();
    return {
      exitCode: 0,
      stdout: `✓ Squashed and merged pull request #${number}; branch deleted. ${deployed}\n`,
      stderr: '',
    };
  };
}

/** `--json a,b` prints only those fields, as gh does. */
function onlyRequested(view: Record<string, unknown>, args: readonly string[]): Record<string, unknown> {
  const index = args.indexOf('--json');
  const fields = index >= 0 ? args[index + 1]?.split(',') : undefined;
  if (!fields) return view;
  return Object.fromEntries(Object.entries(view).filter(([key]) => fields.includes(key)));
}
