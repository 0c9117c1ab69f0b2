import { describe, expect, it } from 'vitest';
import { lockTables } from '../../../src/report/lockTable.js';

describe('lock tables in the report', () => {
  it("turns a migrate step's statements into rows: locks, blocking, rewrite, time; skipped and unmeasured said so", () => {
    const observed = {
      statements: {
        '002': [
          {
            line: 1,
            statement: 'create index i on public.t (a);',
            durationMs: 12.5,
            locks: [{ table: 'public.t', mode: 'SHARE', blocksReads: false, blocksWrites: true }],
            rewritten: [],
          },
          {
            line: 2,
            statement: 'alter table public.t add column v uuid default gen_random_uuid();',
            durationMs: 40,
            locks: [{ table: 'public.t', mode: 'ACCESS EXCLUSIVE', blocksReads: true, blocksWrites: true }],
            rewritten: ['public.t'],
          },
          { line: 3, statement: 'create function f() …', durationMs: 1, locks: [], rewritten: [] },
          {
            line: 4,
            statement: 'create index concurrently j on public.t (b);',
            durationMs: 0,
            locks: [],
            rewritten: [],
            skipped: "not rehearsed: CREATE INDEX CONCURRENTLY cannot run inside the rehearsal's transaction",
          },
        ],
      },
    };
    expect(lockTables(observed)).toEqual([
      {
        migration: '002',
        rows: [
          ['1', 'create index i on public.t (a);', 'SHARE on public.t', 'no', 'yes', 'no', '12.5'],
          [
            '2',
            'alter table public.t add column v uuid default gen_random_uuid();',
            'ACCESS EXCLUSIVE on public.t',
            'yes',
            'yes',
            'yes (public.t)',
            '40',
          ],
          ['3', 'create function f() …', 'none', 'no', 'no', 'no', '1'],
          [
            '4',
            'create index concurrently j on public.t (b);',
            "not rehearsed: CREATE INDEX CONCURRENTLY cannot run inside the rehearsal's transaction",
            '–',
            '–',
            '–',
            '–',
          ],
        ],
      },
    ]);
  });

  it('finds nothing in other observations', () => {
    for (const observed of [undefined, null, 42, { statements: 'x' }, { statements: [] }, { rows: [] }])
      expect(lockTables(observed)).toEqual([]);
  });
});
