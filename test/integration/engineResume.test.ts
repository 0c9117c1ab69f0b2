import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { onlyRunEvents, spawnShipcheck, timesStarted, waitForRunLog } from './engineProcess.js';
import { workspace, type Workspace } from './engineSupport.js';

let staging: TestDatabase;
let ws: Workspace;

beforeAll(async () => {
  staging = await freshDatabase({ migrateTo: '006' });
});
afterAll(async () => {
  await staging?.drop();
});
beforeEach(async () => {
  ws = await workspace();
  return () => ws.remove();
});

/** A non-idempotent step (command) that sleeps until a marker file exists, between two idempotent ones. */
function checklist(marker: string): string {
  // Polls, so the orphan left by kill -9 exits as soon as the marker appears (no stray process).
  const wait = `const fs=require('fs');const p=process.argv[1];const t=setInterval(()=>{if(fs.existsSync(p)){clearInterval(t)}},100)`;
  return `version: 1
name: resume-test
environments:
  staging: { connection_env: STAGING_URL }
phases:
  - id: deploy
    title: Deploy
    environment: staging
    steps:
      - { id: slow-check, kind: sql, title: Slow read-only check, query: "select 1 as one from pg_sleep(0.8)", expect: { rows: [[1]] } }
      - id: slow-command
        kind: command
        title: Slow command
        run: [node, -e, ${JSON.stringify(wait)}, ${JSON.stringify(marker)}]
        timeout: 2m
      - { id: after, kind: sql, title: After, query: "select 1 as one", expect: { rows: [[1]] } }
rollback:
  function_related: [{ id: rb, kind: sql, title: Nothing, query: "select 1 as one", expect: { row_count: 1 } }]
  data_corruption: [{ id: rb2, kind: sql, title: Nothing, query: "select 1 as one", expect: { row_count: 1 } }]
`;
}

function shipcheck(args: string[]) {
  return spawnShipcheck(ws.stateDir, args, { STAGING_URL: staging.url });
}

const runEvents = () => onlyRunEvents(ws.stateDir);
const waitFor = (predicate: (events: RunEvent[]) => boolean) => waitForRunLog(ws.stateDir, predicate);
const started = timesStarted;

describe('resume after kill -9', () => {
  it('an idempotent step is re-run; a non-idempotent one stops the run until --retry-step', async () => {
    const marker = join(ws.dir, 'marker');
    const file = join(ws.dir, 'checklist.yaml');
    await writeFile(file, checklist(marker));

    // Kill point 1: inside the idempotent read-only step.
    const first = shipcheck(['run', file, '--env', 'staging']);
    await waitFor((events) => started(events, 'slow-check') === 1);
    first.kill();
    expect((await first.done).signal).toBe('SIGKILL');

    // The dead run's lease is stale: refused without --take-over (exit 4), naming the holder.
    const refused = await shipcheck(['run', file, '--env', 'staging']).done;
    expect(refused.code).toBe(4);
    expect(refused.err).toContain('has a stale lease of');

    // Kill point 2: resumed (the idempotent step runs again), then killed inside the non-idempotent command.
    const second = shipcheck(['run', file, '--env', 'staging', '--take-over']);
    await waitFor((events) => started(events, 'slow-command') === 1);
    second.kill();
    await second.done;
    let events = await runEvents();
    expect(started(events, 'slow-check')).toBe(2);
    expect(events.some((e) => e.type === 'lease_taken_over')).toBe(true);

    // Not repeated silently: without a TTY the run stops, telling how to decide (exit 6).
    const stopped = await shipcheck(['run', file, '--env', 'staging', '--take-over']).done;
    expect(stopped.code, stopped.err).toBe(6);
    expect(stopped.err).toContain('step "slow-command" (Slow command) was interrupted mid-way and is not safe to repeat blindly');
    expect(stopped.err).toContain('--retry-step slow-command');
    expect(started(await runEvents(), 'slow-command')).toBe(1);

    // The operator checked by hand and retries it: it finishes; finished steps are not repeated.
    await writeFile(marker, 'go');
    const runId = (await runEvents())[0]!.type === 'run_started' ? ((await runEvents())[0] as { runId: string }).runId : '';
    const resumed = await shipcheck(['resume', runId, '--retry-step', 'slow-command']).done;
    expect(resumed.code, resumed.err).toBe(0);
    events = await runEvents();
    expect(started(events, 'slow-check')).toBe(2);
    expect(started(events, 'slow-command')).toBe(2);
    expect(started(events, 'after')).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'passed' });
    expect(existsSync(join(ws.stateDir, 'leases', 'resume-test.staging.json'))).toBe(false);
  });
});
