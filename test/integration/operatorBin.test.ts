import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChecklistFile } from '../../src/demo/demo.js';
import { operatorBin, shipcheckBin, spawnCollecting } from './engineProcess.js';

/**
 * Spawned CLIs in the suite run its compiled build (shipcheckBin); this checks the entry
 * point operators run, bin/shipcheck.js through tsx, and that the two say the same.
 */
let stateDir: string;
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'shipcheck-bin-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('bin/shipcheck.js, as an operator runs it', () => {
  it("plans the 024 checklist (exit 0), word for word as the suite's build of the same sources", async () => {
    const args = ['plan', defaultChecklistFile, '--env', 'staging', '--state-dir', stateDir];
    const [operator, build] = await Promise.all([
      spawnCollecting(process.execPath, [operatorBin, ...args], {}).done,
      spawnCollecting(process.execPath, [shipcheckBin, ...args], {}).done,
    ]);
    expect(operator.code, operator.err).toBe(0);
    expect(operator.out).toContain('plan: migration-024 on staging');
    expect(build).toEqual(operator);
  });
});
