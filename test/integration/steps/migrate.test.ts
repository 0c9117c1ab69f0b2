import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationStatus } from '../../../src/db/migrations/runner.js';
import { UsageError } from '../../../src/errors.js';
import { migrateStep } from '../../../src/steps/migrate.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

describe('migrate step', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness({ migrateTo: '006' });
  });
  afterAll(async () => {
    await harness.close();
  });
  const appliedIds = async () => (await migrationStatus(harness.database.db)).map((m) => m.id);

  it('rehearses inside the rehearsal transaction: applied there, gone after its rollback', async () => {
    await harness.database.db.withClient(async (client) => {
      await client.query('begin');
      const outcome = await harness.run(migrateStep, { migration: '024', verify: true }, { rehearsal: { client } });
      expect(outcome.status, outcome.message).toBe('passed');
      expect(outcome.observed).toMatchObject({ applied: ['024'] });
      const inside = await client.query(
        "select to_regproc('public.atomic_update_user_behavior') is not null as exists",
      );
      expect(inside.rows[0]).toEqual({ exists: true });
      await client.query('rollback');
    });
    expect(await appliedIds()).not.toContain('024');
  });

  it('applies 024 with its checksum and verify script, then passes as "already applied"', async () => {
    const first = await harness.run(migrateStep, { migration: '024', verify: true });
    expect(first.status, first.message).toBe('passed');
    expect(first.message).toBe('applied 024; no lock on an existing table; verify script passed');
    expect(first.observed).toMatchObject({
      applied: ['024'],
      checksums: { '024': expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(await appliedIds()).toContain('024');
    // The server's answers to the deploy script, as the seed's "Expected output: CREATE FUNCTION, COMMENT, GRANT, GRANT".
    const output = (first.observed as { output: Record<string, { commands: string[]; notices: string[] }> }).output[
      '024'
    ]!;
    expect(output.commands.filter((c) => c === 'CREATE FUNCTION')).toHaveLength(2);
    expect(output.commands).toEqual(expect.arrayContaining(['COMMENT', 'REVOKE', 'GRANT']));
    expect(output.commands).not.toContain('INSERT');

    const again = await harness.run(migrateStep, { migration: '024' });
    expect(again).toMatchObject({
      status: 'passed',
      message: '024_atomic_user_behavior_updates was already applied; nothing to do',
    });
  });

  it("fails with the verify script's own message", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'shipcheck-migrations-'));
    const other = await stepHarness({ migrateTo: 'none' });
    try {
      await writeFile(
        join(directory, '001_widgets.sql'),
        "create table widgets (id int primary key); do $$ begin raise notice 'widgets ready'; end $$;",
      );
      await writeFile(
        join(directory, '001_widgets.verify.sql'),
        "do $$ begin raise exception 'widgets has no name column'; end $$;",
      );
      const outcome = await other.run(migrateStep, { migration: '001', verify: true, directory });
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toBe('verify 001_widgets failed: 001_widgets.verify.sql: widgets has no name column');
      expect(outcome.observed).toMatchObject({
        applied: ['001'],
        output: { '001': { commands: ['CREATE TABLE', 'DO'], notices: ['NOTICE: widgets ready'] } },
      });
    } finally {
      await other.close();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('refuses an unknown migration with a usage error, applying nothing', async () => {
    const before = await appliedIds();
    await expect(harness.run(migrateStep, { migration: '999' })).rejects.toThrow(UsageError);
    await expect(harness.run(migrateStep, { migration: '999' })).rejects.toThrow(/no migration "999"/);
    expect(await appliedIds()).toEqual(before);
  });

  it('rejects bad specs', () => {
    for (const [spec, field] of [
      [{}, 'migration'],
      [{ migration: 24 }, 'migration'],
      [{ migration: '24' }, 'migration'],
      [{ migration: '024', verify: 'yes' }, 'verify'],
      [{ migration: '024', to: '025' }, 'to'],
    ] as const) {
      const result = migrateStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(field);
    }
  });
});
