import { main } from '../../src/cli/main.js';

/**
 * `shipcheck ARGS --state-dir STATE_DIR` run in this process with `env`, its lines kept:
 * stdout and stderr apart, each joined with newlines.
 *
 * @example
 * const { code, out } = await shipcheckIn(ws.stateDir, ['status', runId], { STAGING_URL: staging.url });
 */
export async function shipcheckIn(
  stateDir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ['node', 'shipcheck', ...args, '--state-dir', stateDir],
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    env,
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}
