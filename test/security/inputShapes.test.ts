import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../support/database.js';

// Hostile inputs to both SQL functions: each is refused with a class-22 SQLSTATE and writes nothing.
const recordSql = 'select public.atomic_update_user_behavior($1, $2, $3, $4, $5::jsonb) as result';
const strikeSql = 'select public.atomic_add_user_strike($1, $2, $3, $4, $5, $6) as result';
const violation = JSON.stringify({ severity: 'low', toxicity_score: 0.1, comment_id: 'c1', action_tags: [] });

// "Blank" = nothing visible (migration 025): white space, Unicode spaces, zero-width and other format characters.
const blanks: [string, string][] = [
  ['NO-BREAK SPACE', '\u00a0'],
  ['ZERO WIDTH SPACE', '\u200b'],
  ['ZERO WIDTH NO-BREAK SPACE (BOM)', '\ufeff'],
  ['WORD JOINER', '\u2060'],
  ['IDEOGRAPHIC SPACE', '\u3000'],
  ['MONGOLIAN VOWEL SEPARATOR', '\u180e'],
  ['ZERO WIDTH JOINER and NON-JOINER', '\u200d\u200c'],
  ['LEFT-TO-RIGHT MARK', '\u200e'],
  ['SOFT HYPHEN', '\u00ad'],
  ['HANGUL FILLER', '\u3164'],
  ['BRAILLE PATTERN BLANK', '\u2800'],
  ['TAG SPACE', '\u{e0020}'],
  ['a mix with tab and newline', ' \t\n\u00a0\u200b\u202f'],
];

let t: TestDatabase;
let t024: TestDatabase;
const organization = randomUUID();

beforeAll(async () => {
  [t, t024] = await Promise.all([freshDatabase(), freshDatabase({ migrateTo: '024' })]);
  for (const db of [t, t024])
    await db.db.query('insert into public.organizations (id, name) values ($1, $2)', [organization, 'org']);
});
afterAll(async () => {
  await t?.drop();
  await t024?.drop();
});

async function rowCount(db: TestDatabase): Promise<number> {
  const { rows } = await db.db.query<{ n: number }>('select count(*)::int as n from public.user_behaviors');
  return rows[0]!.n;
}

describe('ids made only of invisible characters are blank (22023), nothing written', () => {
  it.each(blanks)('%s', async (_name, blank) => {
    for (const [sql, params] of [
      [recordSql, [organization, blank, 'user', null, violation]],
      [recordSql, [organization, 'twitter', blank, null, violation]],
      [strikeSql, [organization, blank, 'user', null, 1, 'r']],
      [strikeSql, [organization, 'twitter', blank, null, 1, 'r']],
    ] as const) {
      await expect(t.db.query(sql, [...params])).rejects.toMatchObject({
        sqlState: '22023',
        message: expect.stringMatching(/p_platform(_user_id)? must not be blank$/),
      });
    }
    expect(await rowCount(t)).toBe(0);
  });

  it('before 025 a zero-width or no-break id passed (the audit finding)', async () => {
    await t024.db.query(recordSql, [organization, 'twitter', '\u200b\u00a0', null, violation]);
    expect(await rowCount(t024)).toBe(1);
  });

  it('ids with a visible character among them are still accepted', async () => {
    for (const id of ['a\u00a0b', '\u200bx', 'ユーザー', '😀']) {
      await t.db.query(recordSql, [organization, 'twitter', id, null, violation]);
    }
    expect(await rowCount(t)).toBe(4);
    await t.db.query('delete from public.user_behaviors');
  });
});

describe('oversized, deeply nested, NUL and lone surrogates', () => {
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const cases: [string, unknown[], RegExp][] = [
    ['an id longer than 256 characters', [organization, 'twitter', 'x'.repeat(257), null, violation], /^22023$/],
    [
      'violation data over 8192 bytes',
      [
        organization,
        'twitter',
        'u',
        null,
        JSON.stringify({ severity: 'low', comment_id: 'c'.repeat(9000), action_tags: [] }),
      ],
      /^22023$/,
    ],
    [
      'deep nesting under an unknown key',
      [organization, 'twitter', 'u', null, `{"severity":"low","comment_id":"c","action_tags":[],"x":${deep(2000)}}`],
      /^22(023|P02)$|^54001$/,
    ],
    [
      'deep nesting as a tag',
      [organization, 'twitter', 'u', null, `{"severity":"low","comment_id":"c","action_tags":[${deep(500)}]}`],
      /^22(023|P02)$/,
    ],
    [
      'NUL escaped in JSON',
      [organization, 'twitter', 'u', null, '{"severity":"low","comment_id":"a\\u0000b","action_tags":[]}'],
      /^22P05$/,
    ],
    [
      'a lone surrogate escaped in JSON',
      [organization, 'twitter', 'u', null, '{"severity":"low","comment_id":"\\ud800","action_tags":[]}'],
      /^22P02$/,
    ],
    [
      'more than 32 tags',
      [
        organization,
        'twitter',
        'u',
        null,
        JSON.stringify({ severity: 'low', comment_id: 'c', action_tags: Array(33).fill('t') }),
      ],
      /^22023$/,
    ],
  ];
  it.each(cases)('%s', async (_name, params, sqlState) => {
    const error = await t.db.query(recordSql, params).then(
      () => expect.fail('expected a refusal'),
      (e: unknown) => e as { sqlState?: string },
    );
    expect(error.sqlState).toMatch(sqlState);
    expect(await rowCount(t)).toBe(0);
  });

  it('a NUL in a text argument never reaches the server as data', async () => {
    await expect(t.db.query(recordSql, [organization, 'twitter', 'a\u0000b', null, violation])).rejects.toMatchObject({
      sqlState: expect.stringMatching(/^22/),
    });
    expect(await rowCount(t)).toBe(0);
  });
});
