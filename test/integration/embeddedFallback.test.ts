import { execFileSync } from 'node:child_process';
import { chmod, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { testOrganizationId } from '../../src/shield/operator/testOrganization.js';
import { it as withTempDir } from '../support/fixtures.js';
import { shipcheckBin, spawnCollecting } from './engineProcess.js';
import { concurrentArgs } from './shieldCommands.js';

// Each test's command puts its embedded server into a TMPDIR of the test's own, so what it leaves behind is visible.
const it = withTempDir.extend<{ scratch: string }>({
  scratch: async ({ tempDir }, use) => {
    // As root the server runs as the postgres user, which must be able to reach its directory.
    await chmod(tempDir, 0o755);
    await use(tempDir);
  },
});

/** No DATABASE_URL: only PATH, TMPDIR and `env` (spawnCollecting passes nothing else). */
function shipcheck(scratch: string, args: readonly string[], env: Record<string, string> = {}) {
  return spawnCollecting(process.execPath, [shipcheckBin, ...args], { TMPDIR: scratch, ...env });
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const serverDirs = async (scratch: string) =>
  (await readdir(scratch)).filter((name) => name.startsWith('shipcheck-pg-'));
const postmasterRunning = async (scratch: string) => {
  const [dir] = await serverDirs(scratch);
  return dir !== undefined && existsSync(join(scratch, dir, 'postmaster.pid'));
};
const postgresProcessesIn = (dir: string) => {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

// Each test waits on a server of its own starting and stopping: they overlap.
describe.concurrent('shield commands without DATABASE_URL: a throw-away embedded PostgreSQL', () => {
  it('shield concurrent runs on it (migrated to the latest migration, test organization created), says so, and removes it', async ({
    scratch,
  }) => {
    const run = shipcheck(scratch, ['shield', ...concurrentArgs('fresh_machine', 50, 'twitter', '--json')]);
    const { code, out, err } = await run.done;
    expect(code, err).toBe(0);
    expect(err).toContain('DATABASE_URL is not set: starting a throw-away embedded PostgreSQL');
    expect(err).toMatch(/embedded PostgreSQL ready: migrations 001–\d{3} applied/);
    expect(JSON.parse(out)).toMatchObject({
      writer: 'rpc',
      organizationId: testOrganizationId,
      succeeded: 50,
      countBefore: 0,
      countAfter: 50,
      lost: 0,
    });
    expect(out + err).not.toMatch(/postgres:\/\//);
    expect(await serverDirs(scratch)).toEqual([]);
  });

  it('the legacy writer loses updates on it: exit 1 survives the server exit hook', async ({ scratch }) => {
    const { code, out, err } = await shipcheck(scratch, [
      'shield',
      ...concurrentArgs('racy', 200, 'twitter', '--writer', 'legacy'),
    ]).done;
    expect(code, err).toBe(1);
    expect(out).toMatch(/lost updates/);
    expect(await serverDirs(scratch)).toEqual([]);
  });

  it('Ctrl-C (SIGINT) mid-run stops the server and removes its directory before the process ends by the signal', async ({
    scratch,
  }) => {
    const run = shipcheck(scratch, [
      'shield',
      ...concurrentArgs('interrupted', 10000, 'twitter', '--writer', 'legacy'),
    ]);
    await waitFor(() => run.errors().includes('embedded PostgreSQL ready'), 'the embedded server to be migrated');
    const [dir] = await serverDirs(scratch);
    expect(await postmasterRunning(scratch)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    run.kill('SIGINT');
    const { code, signal, err } = await run.done;
    expect({ code, signal }, err).toEqual({ code: null, signal: 'SIGINT' });
    expect(err).not.toMatch(/terminating connection|Unhandled 'error'/);
    expect(await serverDirs(scratch)).toEqual([]);
    expect(postgresProcessesIn(join(scratch, dir!))).toBe('');
  });

  it('shield serve serves it with the test organization, and SIGTERM drains, stops the server and exits 0', async ({
    scratch,
  }) => {
    const token = 'a'.repeat(40);
    const serve = shipcheck(scratch, ['shield', 'serve', '--port', '0', '--json', '--log-level', 'silent'], {
      SHIELD_API_TOKEN: token,
    });
    await waitFor(() => serve.output().includes('"listening"'), 'the API to listen');
    const { url, database } = JSON.parse(serve.output().split('\n')[0]!) as { url: string; database: string };
    expect(database).toBe('throw-away embedded PostgreSQL');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const action = await fetch(`${url}/v1/shield/actions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        organization_id: testOrganizationId,
        comment: { id: 'c1', platform: 'twitter', platform_user_id: 'served' },
        action_tags: ['hide_comment', 'add_strike_1'],
        metadata: { toxicity_score: 0.9 },
      }),
    });
    expect(action.status).toBe(200);
    const behaviour = await fetch(`${url}/v1/behaviours/${testOrganizationId}/twitter/served`, { headers });
    expect(await behaviour.json()).toMatchObject({ total_violations: 1 });

    serve.kill('SIGTERM');
    const { code, out, err } = await serve.done;
    expect(code, err).toBe(0);
    expect(out).toContain('"stopped"');
    expect(await serverDirs(scratch)).toEqual([]);
  });

  it('a variable named with --database-url-env must be set: exit 2, no server started', async () => {
    const lines: string[] = [];
    const output: Output = { out: (line) => lines.push(line), err: (line) => lines.push(line) };
    const argv = ['node', 'shipcheck', 'shield', ...concurrentArgs('u1', 5, 'twitter')];
    const code = await main([...argv, '--database-url-env', 'STAGING_URL'], output, {});
    expect(code).toBe(2);
    expect(lines.join('\n')).toContain('the environment variable STAGING_URL is not set');
    expect(lines.join('\n')).not.toContain('throw-away');
  });
});
