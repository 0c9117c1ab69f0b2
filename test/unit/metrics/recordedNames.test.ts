import { describe, expect, it } from 'vitest';
import { currentFigures, currentNames } from '../../../src/metrics/recordedNames.js';

describe('currentNames', () => {
  it("reads the names recorded before the app's figures were generic as today's, others as they are", () => {
    expect(
      currentNames({ shield_actions: 40, shield_action_latency_p95_ms: 20, shield_error: 'refused', deadlocks: 0 }),
    ).toEqual({ app_requests: 40, app_latency_p95_ms: 20, app_scrape_error: 'refused', deadlocks: 0 });
  });

  it('keeps a value recorded under the current name over one under the former', () => {
    expect(currentNames({ app_failure_rate: 0.2, shield_failure_rate: 0.1 })).toEqual({ app_failure_rate: 0.2 });
    expect(currentNames({ shield_failure_rate: 0.1, app_failure_rate: 0.2 })).toEqual({ app_failure_rate: 0.2 });
  });

  it('leaves a recorded "__proto__" or "constructor" key a plain key', () => {
    const renamed = currentNames(JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 2}') as object);
    expect(Object.getPrototypeOf(renamed)).toBe(Object.prototype);
    expect(Object.keys(renamed)).toEqual(['__proto__', 'constructor']);
  });

  it("reads the app's figures recorded as Shield's actions as requests", () => {
    expect(currentFigures({ actions: 40, functionActions: 2, dbCallsPerAction: 2, failed: 1 })).toEqual({
      requests: 40,
      functionRequests: 2,
      dbCallsPerRequest: 2,
      failed: 1,
    });
  });
});
