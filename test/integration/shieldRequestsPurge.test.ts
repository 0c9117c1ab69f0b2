import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { executeActionsFromTags } from '../../src/shield/executeActions.js';
import { countLedger, ledgerCutoff, purgeLedger } from '../../src/shield/ledger/requestLedger.js';
import { resolveOrganization } from '../../src/shield/operator/testOrganization.js';
import { writerFor } from '../../src/shield/writers/index.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;
let organizationId: string;

beforeAll(async () => {
  t = await freshDatabase();
  organizationId = (await resolveOrganization(t.db, { create: true })).id;
});
afterAll(async () => {
  await t?.drop();
});
beforeEach(async () => {
  await t.db.query('delete from public.shield_action_requests');
});

/** Ledger rows as the action writer leaves them, `daysAgo` old (a real action for the first, copies for speed). */
async function ledgerRows(daysAgo: number, count: number, prefix: string): Promise<void> {
  await t.db.query(
    `insert into public.shield_action_requests (organization_id, request_key, request_hash, result, created_at)
     select $1, $2 || n, repeat('a', 64), '{}'::jsonb, now() - make_interval(days => $3)
     from generate_series(1, $4) as n`,
    [organizationId, `comment:twitter:${prefix}-`, daysAgo, count],
  );
}

async function keys(): Promise<string[]> {
  const { rows } = await t.db.query<{ request_key: string }>(
    'select request_key from public.shield_action_requests order by request_key',
  );
  return rows.map((row) => row.request_key);
}

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = await main(['node', 'shipcheck', 'shield', 'requests', 'purge', ...args], output, {
    DATABASE_URL: t.url,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('the idempotency ledger purge', () => {
  it('deletes only requests older than the cutoff, in batches, and a purged repeat counts again', async () => {
    const comment = { id: 'purge-1', platform: 'twitter', platform_user_id: 'purge_user' } as const;
    const act = () =>
      executeActionsFromTags({ db: t.db, writer: writerFor('action') }, organizationId, comment, ['hide_comment'], {
        toxicity_score: 0.9,
      });
    expect((await act()).replay).toBe(false);
    expect((await act()).replay).toBe(true);
    await t.db.query("update public.shield_action_requests set created_at = now() - interval '40 days'");
    await ledgerRows(31, 5, 'old');
    await ledgerRows(29, 2, 'recent');

    expect(await countLedger(t.db, ledgerCutoff(30))).toMatchObject({ total: 8, older: 6 });
    const progress: number[] = [];
    const result = await purgeLedger(t.db, ledgerCutoff(30), { batchSize: 4, onBatch: (n) => progress.push(n) });
    expect(result).toMatchObject({ deleted: 6, batches: 2 });
    expect(progress).toEqual([4, 6]);
    expect(await keys()).toEqual(['comment:twitter:recent-1', 'comment:twitter:recent-2']);
    // Documented: a repeat of a purged request is a new action.
    expect((await act()).replay).toBe(false);
  });

  it('skips a row a running action holds, and takes it on the next run', async () => {
    await ledgerRows(60, 3, 'held');
    await t.db.withClient(async (holder) => {
      await holder.query('begin');
      await holder.query(
        "select 1 from public.shield_action_requests where request_key = 'comment:twitter:held-2' for update",
      );
      const first = await purgeLedger(t.db, ledgerCutoff(30));
      await holder.query('rollback');
      expect(first.deleted).toBe(2);
    });
    expect(await keys()).toEqual(['comment:twitter:held-2']);
    expect((await purgeLedger(t.db, ledgerCutoff(30))).deleted).toBe(1);
  });

  it('an abort (Ctrl-C) stops between batches: the batches done stay deleted, the rest stays', async () => {
    await ledgerRows(50, 5, 'abort');
    const abort = new AbortController();
    const result = await purgeLedger(t.db, ledgerCutoff(30), {
      batchSize: 2,
      signal: abort.signal,
      onBatch: () => abort.abort(),
    });
    expect(result).toMatchObject({ deleted: 2, batches: 1 });
    expect(await keys()).toHaveLength(3);
  });

  it('shipcheck shield requests purge: --dry-run counts and deletes nothing, then the purge reports what it deleted', async () => {
    await ledgerRows(45, 3, 'cli-old');
    await ledgerRows(1, 1, 'cli-new');
    const dry = await cli('--older-than', '30', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, total: 4, older: 3 });
    expect(await keys()).toHaveLength(4);

    const purged = await cli('--older-than', '30', '--batch-size', '2', '--json');
    expect(purged.code).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ dryRun: false, interrupted: false, deleted: 3, batches: 2 });
    expect(purged.stderr).toBe('deleted 2 ledger rows so far\ndeleted 3 ledger rows so far');
    expect(await keys()).toEqual(['comment:twitter:cli-new-1']);
    expect((await cli('--older-than', '30')).stdout).toMatch(/^deleted 0 ledger rows created before 20/);
  });

  it('bad flags are exit 2 with one sentence and delete nothing', async () => {
    await ledgerRows(45, 2, 'bad');
    for (const args of [
      [],
      ['--older-than', '0'],
      ['--older-than', '-3'],
      ['--older-than', '1.5'],
      ['--older-than', 'thirty'],
      ['--older-than', '40000'],
      ['--older-than', '30', '--batch-size', '0'],
      ['--older-than', '30', '--batch-size', '100001'],
    ]) {
      const result = await cli(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/--older-than|--batch-size/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(await keys()).toHaveLength(2);
  });

  it('without migration 026 it says which migration is missing (exit 2)', async () => {
    const old = await freshDatabase({ migrateTo: '025' });
    try {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(
        ['node', 'shipcheck', 'shield', 'requests', 'purge', '--older-than', '30'],
        { out: (line) => out.push(line), err: (line) => err.push(line) },
        { DATABASE_URL: old.url },
      );
      expect(code).toBe(2);
      expect(err.join('\n')).toMatch(/needs migration 026/);
    } finally {
      await old.drop();
    }
  });
});
