import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { recordApproval } from '../../src/engine/approvals.js';
import { ExitCode } from '../../src/errors.js';
import { shipcheckBin, spawnOnTerminal } from './engineProcess.js';
import { engineFile, stagingChecklist } from './engineSupport.js';

/**
 * The live list on a terminal draws a phase done (✔) only when all its steps passed:
 * a phase waiting for a sign-off, one passed with warnings and one not started get
 * their own marks, in `status`'s words. Run for real on a pseudo-terminal.
 */

const { staging, ws } = engineFile({ migrateTo: 'none' });

const checklist = stagingChecklist(
  'live-list-test',
  `  - id: checks
    title: "Phase 1: Checks"
    environment: staging
    steps:
      - { id: answers, kind: sql, title: Database answers, query: "select 1 as one", expect: { rows: [[1]] } }
  - id: shaky
    title: "Phase 2: Shaky checks"
    environment: staging
    steps:
      - { id: wrong-count, kind: sql, title: Wrong count, query: "select 2 as two", expect: { rows: [[3]] }, on_fail: warn }
  - id: signoff
    title: "Phase 3: Product owner approval"
    environment: staging
    steps:
      - { id: po, kind: approval, title: Product owner sign-off, role: Product Owner }
  - id: after
    title: "Phase 4: After the sign-off"
    environment: staging
    steps:
      - { id: last, kind: sql, title: Last check, query: "select 1 as one", expect: { rows: [[1]] } }`,
);

/** Every line listr2 drew, in any of its frames, without colours. */
function lines(out: string): string[] {
  return stripVTControlCharacters(out)
    .split(/\r?\n/)
    .map((l) => l.trimEnd());
}

describe('the live list while a run waits for a sign-off', () => {
  it('draws done only the phase whose steps all passed; waiting, warned and not started phases say so', async () => {
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, checklist);
    const terminal = spawnOnTerminal(
      [process.execPath, shipcheckBin, 'run', file, '--env', 'staging', '--state-dir', ws.stateDir],
      {
        STAGING_URL: staging.url,
      },
    );
    const { code, out } = await terminal.done;
    expect(code, out).toBe(ExitCode.awaitingApproval);
    const shown = lines(out);
    expect(shown).toContain('✔ Phase 1: Checks');
    expect(
      shown.some((l) => l.includes('Phase 2: Shaky checks — ⚠ PASSED WITH WARNINGS')),
      out,
    ).toBe(true);
    expect(
      shown.some((l) => l.includes('Phase 3: Product owner approval — ⏸ AWAITING APPROVAL')),
      out,
    ).toBe(true);
    expect(
      shown.some((l) => l.includes('Phase 4: After the sign-off — · NOT STARTED')),
      out,
    ).toBe(true);
    // Never drawn done, at any redraw.
    for (const phase of ['Phase 2: Shaky checks', 'Phase 3: Product owner approval', 'Phase 4: After the sign-off']) {
      expect(
        shown.filter((l) => l.includes(`✔ ${phase}`)),
        out,
      ).toEqual([]);
    }
    // The waiting phase still shows its step.
    expect(
      shown.some((l) => l.includes('Product owner sign-off') && l.includes('waiting')),
      out,
    ).toBe(true);

    // Approved and resumed: the phases passed now are drawn done; the warned one still is not.
    const runId =
      /run (\S+) \(shipcheck status/.exec(stripVTControlCharacters(out))?.[1] ??
      (await readdir(join(ws.stateDir, 'runs')))[0]!;
    await recordApproval({ stateDir: ws.stateDir, runId, by: 'Ana', decision: 'approved' });
    const resumed = await spawnOnTerminal(
      [process.execPath, shipcheckBin, 'run', file, '--env', 'staging', '--state-dir', ws.stateDir],
      {
        STAGING_URL: staging.url,
      },
    ).done;
    expect(resumed.code, resumed.out).toBe(ExitCode.passedWithWarnings);
    const after = lines(resumed.out);
    for (const phase of ['Phase 1: Checks', 'Phase 3: Product owner approval', 'Phase 4: After the sign-off'])
      expect(after, resumed.out).toContain(`✔ ${phase}`);
    expect(
      after.some((l) => l.includes('Phase 2: Shaky checks — ⚠ PASSED WITH WARNINGS')),
      resumed.out,
    ).toBe(true);
    expect(
      after.filter((l) => l.includes('✔ Phase 2')),
      resumed.out,
    ).toEqual([]);
  });
});
