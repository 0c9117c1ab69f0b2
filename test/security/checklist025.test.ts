import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

const checklist = fileURLToPath(new URL('../../checklists/migration-025.yaml', import.meta.url));

let staging: TestDatabase;
let stateDir: string;
beforeAll(async () => {
  staging = await freshDatabase({ migrateTo: '024' });
  stateDir = await mkdtemp(join(tmpdir(), 'shipcheck-025-'));
});
afterAll(async () => {
  await staging?.drop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('checklists/migration-025.yaml rehearsed on a scratch database at 024', () => {
  it('applies and verifies 025, passes the hardened contracts and the advisor query, rehearses the revert, and leaves the target unchanged', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['node', 'shipcheck', 'run', checklist, '--env', 'staging', '--rehearse', '--state-dir', stateDir],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      { STAGING_DATABASE_URL: staging.url, PATH: process.env.PATH },
    );
    const text = out.join('\n');
    expect(code, `${text}\n${err.join('\n')}`).toBe(0);
    for (const step of [
      /✔ Deploy migration 025/,
      /✔ is_organization_member .* meets its contract/,
      /✔ Database advisor classes .* \(0, 0, 0\)/,
      /✔ Revert migration 025/,
    ]) {
      expect(text).toMatch(step);
    }
    expect(text).toContain('the rehearsal transaction was rolled back; the target is unchanged');
    const { rows } = await staging.db.query("select id from shipcheck.migrations where id = '025'");
    expect(rows).toEqual([]);
  });
});
