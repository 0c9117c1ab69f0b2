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
    const outcome = await harness.run(concurrencyStep, { user_id: 'test_concurrent_staging', actions: 5, platform: 'twitter' });
    expect(outcome.status, outcome.message).toBe('passed');
    expect(outcome.message).toMatch(/^all 5 actions applied \(count 0 → 5\), p95 [\d.]+ ms$/);
    expect(outcome.metrics).toMatchObject({ lost: 0, failed: 0, db_calls_per_action: 1 });
    expect(outcome.metrics!.latency_ms_p95).toBeGreaterThan(0);
    // reset (the default) makes a re-run land on exactly `actions` again.
    const again = await harness.run(concurrencyStep, { user_id: 'test_concurrent_staging', actions: 5, platform: 'twitter' });
    expect(again.observed).toMatchObject({ count_before: 0, count_after: 5 });
  });

  it('fails naming the lost updates with the legacy read-modify-write writer', async () => {
    let outcome: StepOutcome | undefined;
    // A race is a race: lost updates are near-certain at 100 on one row, retry a few rounds.
    for (let round = 0; round < 5 && outcome?.status !== 'failed'; round++) {
      outcome = await harness.run(concurrencyStep, { user_id: 'legacy_race', actions: 100, platform: 'twitter', writer: 'legacy' });
    }
    expect(outcome!.status).toBe('failed');
    expect(outcome!.message).toMatch(/^\d+ of 100 updates lost \(count 0 → \d+\)$/);
    expect(outcome!.metrics!.lost).toBeGreaterThan(0);
  });

  it('throws a usage error for an organization that does not exist (operator tools never invent a tenant)', async () => {
    await expect(
      harness.run(concurrencyStep, {
        user_id: 'x',
        actions: 2,
        platform: 'twitter',
        org_id: '11111111-1111-1111-1111-111111111111',
      }),
    ).rejects.toThrow(/organization/);
  });

  it('rejects bad specs', () => {
    for (const [spec, field] of [
      [{ actions: 5, platform: 'twitter' }, 'user_id'],
      [{ user_id: 'u', actions: 0, platform: 'twitter' }, 'actions'],
      [{ user_id: 'u', actions: 5 }, 'platform'],
      [{ user_id: 'u', actions: 5, platform: 'twitter', org_id: 'not-a-uuid' }, 'org_id'],
      [{ user_id: 'u', actions: 5, platform: 'twitter', writer: 'fast' }, 'writer'],
      [{ user_id: '', actions: 5, platform: 'twitter' }, 'user_id'],
      [{ user_id: 'u', actions: 5, platform: 'twitter', extra: 1 }, 'extra'],
    ] as const) {
      const result = concurrencyStep.schema.safeParse(spec);
      expect(result.success, JSON.stringify(spec)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(field);
    }
  });
});
