import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concurrencyStep } from '../../../src/steps/concurrency.js';
import type { StepOutcome } from '../../../src/steps/types.js';
import { type StepHarness, stepHarness } from '../../support/stepContext.js';

describe('concurrency step', () => {
  let harness: StepHarness;
  beforeAll(async () => {
    harness = await stepHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  it("passes the seed's concurrent test: 5 actions, none lost, latency in metrics", async () => {
    const outcome = await harness.run(concurrencyStep, {
      preset: 'shield_violations',
      user_id: 'test_concurrent_staging',
      actions: 5,
      platform: 'twitter',
    });
    expect(outcome.status, outcome.message).toBe('passed');
    expect(outcome.message).toMatch(/^all 5 actions applied \(count 0 → 5\), p95 [\d.]+ ms$/);
    expect(outcome.metrics).toMatchObject({ lost: 0, failed: 0, db_calls_per_action: 1 });
    expect(outcome.metrics!.latency_ms_p95).toBeGreaterThan(0);
    // reset (the default) makes a re-run land on exactly `actions` again.
    const again = await harness.run(concurrencyStep, {
      preset: 'shield_violations',
      user_id: 'test_concurrent_staging',
      actions: 5,
      platform: 'twitter',
    });
    expect(again.observed).toMatchObject({ count_before: 0, count_after: 5 });
  });

  it('fails naming the lost updates with the legacy read-modify-write writer', async () => {
    let outcome: StepOutcome | undefined;
    // A race is a race: lost updates are near-certain at 100 on one row, retry a few rounds.
    for (let round = 0; round < 5 && outcome?.status !== 'failed'; round++) {
      outcome = await harness.run(concurrencyStep, {
        preset: 'shield_violations',
        user_id: 'legacy_race',
        actions: 100,
        platform: 'twitter',
        writer: 'legacy',
      });
    }
    expect(outcome!.status).toBe('failed');
    expect(outcome!.message).toMatch(/^\d+ of 100 updates lost \(count 0 → \d+\)$/);
    expect(outcome!.metrics!.lost).toBeGreaterThan(0);
  });

  it('throws a usage error for an organization that does not exist (operator tools never invent a tenant)', async () => {
    await expect(
      harness.run(concurrencyStep, {
        preset: 'shield_violations',
        user_id: 'x',
        actions: 2,
        platform: 'twitter',
        org_id: '11111111-1111-1111-1111-111111111111',
      }),
    ).rejects.toThrow(/organization/);
  });

  it('rejects bad specs', () => {
    for (const [spec, field] of [
      [{ preset: 'shield_violations', actions: 5, platform: 'twitter' }, 'user_id'],
      [{ preset: 'shield_violations', user_id: 'u', actions: 0, platform: 'twitter' }, 'actions'],
      [{ preset: 'shield_violations', user_id: 'u', actions: 5 }, 'platform'],
      [{ preset: 'shield_violations', user_id: 'u', actions: 5, platform: 'twitter', org_id: 'not-a-uuid' }, 'org_id'],
      [{ preset: 'shield_violations', user_id: 'u', actions: 5, platform: 'twitter', writer: 'fast' }, 'writer'],
      [{ preset: 'shield_violations', user_id: '', actions: 5, platform: 'twitter' }, 'user_id'],
      [{ preset: 'shield_violations', user_id: 'u', actions: 5, platform: 'twitter', extra: 1 }, 'extra'],
    ] as const) {
      const result = concurrencyStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(field);
    }
  });

  describe('generic form: any function, any invariant', () => {
    beforeAll(async () => {
      await harness.database.db.query(`
        create table public.counters (id text primary key, total int not null default 0);
        create function public.bump(p_id text) returns void language sql
          set search_path = pg_catalog, public, pg_temp
          as $$ insert into public.counters (id, total) values (p_id, 1)
                on conflict (id) do update set total = counters.total + 1 $$;
        -- read, wait, write: the lost-update race, on purpose
        create function public.bump_racy(p_id text) returns void language plpgsql
          set search_path = pg_catalog, public, pg_temp
          as $$ declare n int; begin
            select total into n from public.counters where id = p_id;
            perform pg_sleep(0.01);
            update public.counters set total = coalesce(n, 0) + 1 where id = p_id;
          end $$;
        create function public.refuse(p_i int) returns void language plpgsql
          set search_path = pg_catalog, pg_temp
          as $$ begin if p_i % 2 = 1 then raise exception 'odd call %', p_i using errcode = '22023'; end if; end $$;
        revoke execute on function public.bump(text) from public;`);
    });

    const counterIs = (n: number) => ({ query: "select total from public.counters where id = 'c'", rows: [[n]] });

    it('passes when every call succeeds and the invariant holds; reset makes a re-run repeatable', async () => {
      const spec = {
        call: 'public.bump',
        args: ['c'],
        calls: 50,
        reset: "delete from public.counters where id = 'c'",
        expect: counterIs(50),
      };
      const outcome = await harness.run(concurrencyStep, spec);
      expect(outcome.status, outcome.message).toBe('passed');
      expect(outcome.message).toMatch(/^all 50 calls succeeded and the invariant holds/);
      expect((await harness.run(concurrencyStep, spec)).status).toBe('passed');
    });

    it('fails on a lost update, saying the calls succeeded and what the invariant saw', async () => {
      await harness.database.db.query(
        "insert into public.counters values ('c', 0) on conflict (id) do update set total = 0",
      );
      const outcome = await harness.run(concurrencyStep, {
        call: 'public.bump_racy',
        args: ['c'],
        calls: 20,
        expect: counterIs(20),
      });
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(
        /^all 20 calls succeeded but the invariant does not hold: row 1: total is \d+, expected 20$/,
      );
    });

    it('reports failed calls as failures, quoting the first error, whatever the invariant would say', async () => {
      const outcome = await harness.run(concurrencyStep, {
        call: 'public.refuse',
        args: ['{i}'],
        calls: 10,
        expect: { query: 'select 1', row_count: 1 },
      });
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(/^5 of 10 calls failed: odd call \d+ \(SQLSTATE 22023\)$/);
    });

    it('runs the calls as a role: a role without EXECUTE is refused (42501); an unknown role is a usage error', async () => {
      const outcome = await harness.run(concurrencyStep, {
        call: 'public.bump',
        args: ['c'],
        calls: 3,
        as_role: 'anon',
        expect: counterIs(3),
      });
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(/3 of 3 calls failed: permission denied for function bump \(SQLSTATE 42501\)/);
      await expect(
        harness.run(concurrencyStep, {
          call: 'public.bump',
          args: ['c'],
          calls: 1,
          as_role: 'nobody_here',
          expect: counterIs(1),
        }),
      ).rejects.toThrow(/as_role: role "nobody_here" does not exist/);
    });

    it('fills {i}, {run_id} and {random_uuid} per call', async () => {
      await harness.database.db.query('create table public.seen (v text)');
      await harness.database.db.query(
        `create function public.note(p text) returns void language sql set search_path = pg_catalog, public, pg_temp as $$ insert into public.seen values (p) $$`,
      );
      const outcome = await harness.run(concurrencyStep, {
        call: 'public.note',
        args: ['{run_id}/{i}/{random_uuid}'],
        calls: 5,
        expect: {
          query: "select count(distinct v) as n from public.seen where v like $1 || '/%'",
          params: ['{run_id}'],
          rows: [{ n: 5 }],
        },
      });
      expect(outcome.status, outcome.message).toBe('passed');
    });

    it('rejects bad generic specs at load', () => {
      for (const [spec, field] of [
        [{ call: 'f(); drop table t; --', calls: 1, expect: { query: 'select 1', row_count: 1 } }, 'call'],
        [{ call: 'f', calls: 0, expect: { query: 'select 1', row_count: 1 } }, 'calls'],
        [{ call: 'f', calls: 1, expect: { query: 'select 1' } }, 'expect'],
        [{ call: 'f', calls: 1 }, 'expect'],
        [{ call: 'f', calls: 1, as_role: 'x; reset role', expect: { query: 'select 1', row_count: 1 } }, 'as_role'],
        [{ preset: 'nope', call: 'f', calls: 1 }, 'preset'],
        [{ user_id: 'u', actions: 5, platform: 'twitter' }, 'user_id'],
      ] as const) {
        const result = concurrencyStep.schema.safeParse(spec);
        expect(result.success, JSON.stringify(spec)).toBe(false);
        expect(JSON.stringify(result.error?.issues)).toContain(field);
      }
    });
  });
});
