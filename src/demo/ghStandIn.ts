import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes `<dir>/bin/gh`, a stand-in for the GitHub CLI that forwards its arguments to
 * the demo's receiver and prints what it answers: the checklist's merge phase runs
 * `gh pr view 654 …` and `gh pr merge 654 …` unchanged, with no GitHub involved.
 * Returns the bin directory, to put first on the run's PATH.
 */
export async function writeGhStandIn(dir: string, ghUrl: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true, mode: 0o700 });
  const script = join(bin, 'gh');
  await writeFile(script, standInSource(ghUrl), { mode: 0o700 });
  await chmod(script, 0o700);
  return bin;
}

function standInSource(ghUrl: string): string {
  return `#!/usr/bin/env node
// shipcheck demo: a stand-in for the GitHub CLI. It forwards its arguments to the demo,
// which answers for pull request #654 from the deploy gate's state.
fetch(${JSON.stringify(ghUrl)}, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ args: process.argv.slice(2) }),
})
  .then((response) => response.json())
  .then((answer) => {
    process.stdout.write(answer.stdout ?? '');
    process.stderr.write(answer.stderr ?? '');
    process.exitCode = answer.exitCode ?? 1;
  })
  .catch((error) => {
    process.stderr.write('gh (shipcheck demo stand-in): ' + error.message + '\\n');
    process.exitCode = 1;
  });
`;
}
