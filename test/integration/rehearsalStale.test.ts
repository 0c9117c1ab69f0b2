import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents } from '../../src/engine/runLog.js';
import { listRuns, runDir } from '../../src/engine/runs.js';
import { shipcheckIn } from './cliInProcess.js';
import { engineFile, stagingChecklist } from './engineSupport.js';

/**
 * A team's script seeds a row (a `command` step: run only for real), then a check reads it.
 * The rehearsal cannot run the script, so the check judges the data as it was before: the
 * rehearsal says so, naming the check, instead of passing or failing without a word.
 */
const checklist = stagingChecklist(
  'stale-test',
  `  - id: staging-deploy
    title: Staging deployment
    environment: staging
    steps:
      - { id: early-check, kind: sql, title: Before the script, query: select 1 as one, expect: { rows: [[1]] } }
      - { id: seed-rows, kind: command, title: Seed the rows, run: "true" }
      - id: seeded-check
        kind: sql
        title: The seeded rows are there
        query: select count(*)::int from pg_class where relname = 'pg_class'
        expect: { rows: [[1]] }`,
  {
    rollback: `  function_related:
    - { id: rb-check, kind: sql, title: Rollback check, query: select 1 as one, expect: { rows: [[1]] } }
  data_corruption:
    - { id: rb-check-2, kind: sql, title: Rollback check, query: select 1 as one, expect: { rows: [[1]] } }`,
  },
);

const { staging, ws } = engineFile({ migrateTo: 'none' });

const cli = (...args: string[]) => shipcheckIn(ws.stateDir, args, { STAGING_URL: staging.url, PATH: process.env.PATH });

describe('rehearsal with command steps', () => {
  it('names the later checks that may judge data the unrehearsed command would have changed', async () => {
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, checklist);
    const { code, out, err } = await cli('run', file, '--env', 'staging', '--rehearse');
    expect(code, `${out}\n${err}`).toBe(0);
    expect(out).toContain(
      'command step seed-rows was not rehearsed, so seeded-check, rb-check may have judged data it would have changed',
    );
    const [run] = await listRuns(ws.stateDir);
    const events = await readEvents(runDir(ws.stateDir, run!.runId));
    const skipped = events.find((e) => e.type === 'step_skipped' && e.stepId === 'seed-rows');
    expect(skipped).toMatchObject({
      reason:
        'not rehearsed: command steps run only for real; later checks that may judge data it would have changed: seeded-check, rb-check',
    });
    // The check before the script is not named: what it read cannot depend on the script.
    expect(out).not.toMatch(/early-check[^\n]*may have judged/);
  });
});
