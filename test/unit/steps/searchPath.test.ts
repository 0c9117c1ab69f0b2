import { describe, expect, it } from 'vitest';
import { hardeningChecks, pathSchemas } from '../../../src/steps/contract/hardening.js';
import { parseSearchPath, tempSchemaLast } from '../../../src/steps/contract/searchPath.js';

describe('parseSearchPath', () => {
  it.each([
    ['pg_catalog', ['pg_catalog']],
    ['pg_catalog, pg_temp', ['pg_catalog', 'pg_temp']],
    ['"$user", public', ['$user', 'public']],
    ['pg_catalog, "Odd, ""name""", PG_TEMP', ['pg_catalog', 'Odd, "name"', 'pg_temp']],
    ['', []],
  ])('%j', (setting, schemas) => {
    expect(parseSearchPath(setting)).toEqual(schemas);
  });
});

describe('tempSchemaLast', () => {
  it('wants pg_temp named, once, at the end', () => {
    expect(tempSchemaLast(['pg_catalog', 'pg_temp'])).toBe(true);
    expect(tempSchemaLast(['pg_catalog'])).toBe(false);
    expect(tempSchemaLast(['pg_temp', 'pg_catalog'])).toBe(false);
    expect(tempSchemaLast(['pg_catalog', 'pg_temp', 'public', 'pg_temp'])).toBe(false);
  });
});

describe('hardeningChecks', () => {
  const definer = {
    signature: 's.f()',
    security: 'definer' as const,
    owner: 'owner',
    search_path: 'pg_catalog, pg_temp',
  };
  const creators = new Map([['pg_temp', { schema: 'pg_temp', exists: true, creators: ['PUBLIC'] }]]);

  it('reads $user as the owner and leaves pg_catalog out of the schemas to look up', () => {
    expect(pathSchemas({ ...definer, search_path: '"$user", pg_catalog, app, pg_temp' })).toEqual([
      'owner',
      'app',
      'pg_temp',
    ]);
  });

  it('passes a definer with pg_temp last and no open EXECUTE', () => {
    const checks = hardeningChecks({
      subject: definer,
      callees: [],
      creators,
      executeGrantees: ['owner'],
      anonCanExecute: false,
      openExecuteAllowed: false,
    });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('a callee with its own pg_temp-first path fails in one sentence; one without a path inherits and passes', () => {
    const checks = hardeningChecks({
      subject: definer,
      callees: [
        { signature: 'auth.uid()', security: 'invoker', owner: 'owner', search_path: 'pg_catalog' },
        { signature: 's.g()', security: 'invoker', owner: 'owner', search_path: null },
      ],
      creators,
      executeGrantees: [],
      anonCanExecute: null,
      openExecuteAllowed: false,
    });
    expect(checks.filter((c) => !c.ok).map((c) => c.finding)).toEqual([
      'auth.uid(), called by s.f(), sets search_path=pg_catalog without pg_temp last: PostgreSQL then searches pg_temp first for types, so PUBLIC (every role) (TEMP on the database) can create a temporary type its casts resolve to, whose CHECK runs code as owner',
    ]);
  });

  it('anon allowed by the contract turns the open-EXECUTE checks off', () => {
    const open = { subject: definer, callees: [], creators, executeGrantees: ['PUBLIC'], anonCanExecute: true };
    expect(hardeningChecks({ ...open, openExecuteAllowed: false }).filter((c) => !c.ok)).toHaveLength(2);
    expect(hardeningChecks({ ...open, openExecuteAllowed: true }).filter((c) => !c.ok)).toHaveLength(0);
  });
});
