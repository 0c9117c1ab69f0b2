import { describe, expect, it } from 'vitest';
import { DatabaseError, UsageError } from '../../../src/errors.js';
import { failureCodeOf, publicReason, retryableFailures } from '../../../src/shield/failures.js';
import { parseIdempotencyKey } from '../../../src/shield/http/requestSchemas.js';

const pgError = (sqlState: string | undefined, message = 'x') =>
  new DatabaseError(message, sqlState === undefined ? {} : { sqlState });

describe('failureCodeOf', () => {
  it.each([
    [undefined, 'database_unavailable'],
    ['08006', 'database_unavailable'],
    ['57P01', 'database_unavailable'],
    ['53300', 'database_unavailable'],
    ['55P03', 'database_timeout'],
    ['57014', 'database_timeout'],
    ['40P01', 'database_timeout'],
    ['40001', 'database_timeout'],
    ['22P05', 'invalid_value'],
    ['22023', 'invalid_value'],
    ['42P01', 'database_error'],
    ['P0001', 'database_error'],
  ] as const)('SQLSTATE %s → %s', (state, code) => {
    expect(failureCodeOf(pgError(state))).toBe(code);
  });

  it('a foreign key on the organization is organization_not_found; another foreign key is not', () => {
    expect(
      failureCodeOf(pgError('23503', 'violates foreign key constraint "shield_action_requests_organization_id_fkey"')),
    ).toBe('organization_not_found');
    expect(failureCodeOf(pgError('23503', 'violates foreign key constraint "other_fkey"'))).toBe('database_error');
  });

  it('a non-database ShipcheckError is a refused value', () => {
    expect(failureCodeOf(new UsageError('severity must be one of low, medium'))).toBe('invalid_value');
  });

  it('only unavailability and timeouts are retryable', () => {
    expect([...retryableFailures].sort()).toEqual(['database_timeout', 'database_unavailable']);
  });
});

describe('publicReason', () => {
  it("keeps the Shield functions' own messages, hides PostgreSQL's and the driver's", () => {
    const own = 'behaviour not recorded, no action taken: atomic_update_user_behavior: p_platform must not be blank';
    expect(publicReason('invalid_value', own)).toBe(own);
    expect(
      publicReason('invalid_value', 'nothing recorded, no action taken: unsupported Unicode escape sequence'),
    ).not.toMatch(/Unicode/);
    const driver = 'could not talk to the database (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432)';
    for (const code of ['database_unavailable', 'database_timeout', 'database_error'] as const) {
      expect(publicReason(code, driver)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|5432/);
    }
  });
});

describe('parseIdempotencyKey', () => {
  it('accepts 1–255 visible ASCII characters with the action writer, refuses it otherwise', () => {
    expect(parseIdempotencyKey(undefined, false)).toEqual({ ok: true, value: undefined });
    expect(parseIdempotencyKey('retry-1', true)).toEqual({ ok: true, value: 'retry-1' });
    expect(parseIdempotencyKey('retry-1', false).ok).toBe(false);
    for (const bad of ['', 'a b', 'x'.repeat(256), 'é', 'a\u0000b'])
      expect(parseIdempotencyKey(bad, true).ok, JSON.stringify(bad)).toBe(false);
    expect(parseIdempotencyKey(['a', 'b'], true).ok).toBe(false);
  });
});
