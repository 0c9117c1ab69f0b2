import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../support/database.js';

// The organization the seed checklist's manual RPC test uses.
const seedOrganization = '00000000-0000-0000-0000-000000000001';
const unknownOrganization = '00000000-0000-0000-0000-0000000000ff';

const recordSql = 'select public.atomic_update_user_behavior($1, $2, $3, $4, $5::jsonb) as result';
const strikeSql = 'select public.atomic_add_user_strike($1, $2, $3, $4, $5, $6) as result';

type Json = Record<string, unknown>;
type Args = [organizationId: unknown, platform: unknown, userId: unknown, username: unknown, data: unknown];

let t: TestDatabase;

beforeAll(async () => {
  t = await freshDatabase({ poolSize: 20 });
  await t.db.query('insert into public.organizations (id, name) values ($1, $2)', [seedOrganization, 'seed test org']);
});
afterAll(async () => {
  await t?.drop();
});

function violation(overrides: Json = {}): Json {
  return { severity: 'medium', toxicity_score: 0.75, comment_id: 'c1', action_tags: ['warning'], ...overrides };
}

/** Calls the function with `data` sent as JSON text (null stays SQL NULL). */
async function record(args: Args): Promise<Json> {
  const [organizationId, platform, userId, username, data] = args;
  const { rows } = await t.db.query<{ result: Json }>(recordSql, [
    organizationId,
    platform,
    userId,
    username,
    data === null ? null : JSON.stringify(data),
  ]);
  return rows[0]!.result;
}

function offenderArgs(userId: string, data: unknown = violation(), username: string | null = null): Args {
  return [seedOrganization, 'twitter', userId, username, data];
}

async function row(userId: string): Promise<Json | undefined> {
  const { rows } = await t.db.query<{ row: Json }>(
    'select to_jsonb(b) as row from public.user_behaviors b where organization_id = $1 and platform = $2 and platform_user_id = $3',
    [seedOrganization, 'twitter', userId],
  );
  return rows[0]?.row;
}

/** Every row of user_behaviors, to show that a refused call wrote nothing anywhere. */
async function wholeTable(): Promise<unknown> {
  const { rows } = await t.db.query<{ rows: unknown }>(
    "select coalesce(jsonb_agg(to_jsonb(b) order by b.id), '[]') as rows from public.user_behaviors b",
  );
  return rows[0]!.rows;
}

const times = (key: string, r: Json) => new Date(r[key] as string).getTime();

describe('atomic_update_user_behavior: writes', () => {
  it('answers the seed checklist manual RPC test call', async () => {
    const result = await record([
      seedOrganization,
      'twitter',
      'test_migration_024',
      'testuser_migration',
      { severity: 'medium', toxicity_score: 0.75, comment_id: 'test_comment', action_tags: ['warning'] },
    ]);
    expect(Object.keys(result).sort()).toEqual([
      'last_violation_at',
      'organization_id',
      'severity_counts',
      'total_violations',
      'user_id',
    ]);
    expect(result).toMatchObject({
      user_id: 'test_migration_024',
      organization_id: seedOrganization,
      total_violations: 1,
      severity_counts: { low: 0, medium: 1, high: 0, critical: 0 },
    });
    expect(Number.isNaN(times('last_violation_at', result))).toBe(false);
  });

  it('inserts a new offender with every column set, then increments on the next call', async () => {
    const first = await record(offenderArgs('u_insert', violation({ severity: 'high', comment_id: 'c1' }), 'alice'));
    const inserted = (await row('u_insert'))!;
    expect(inserted).toMatchObject({
      platform_username: 'alice',
      total_violations: 1,
      severity_counts: { low: 0, medium: 0, high: 1, critical: 0 },
      strikes: 0,
    });
    for (const column of ['first_seen_at', 'last_seen_at', 'last_violation_at', 'created_at', 'updated_at']) {
      expect(times(column, inserted), column).toBe(times('last_violation_at', first));
    }

    const second = await record(
      offenderArgs(
        'u_insert',
        violation({ severity: 'critical', toxicity_score: null, comment_id: 'c2', action_tags: [] }),
      ),
    );
    const updated = (await row('u_insert'))!;
    expect(second).toMatchObject({ total_violations: 2, severity_counts: { low: 0, medium: 0, high: 1, critical: 1 } });
    // A null username keeps the stored one; first_seen_at and created_at never move.
    expect(updated.platform_username).toBe('alice');
    expect(times('first_seen_at', updated)).toBe(times('first_seen_at', inserted));
    expect(times('created_at', updated)).toBe(times('created_at', inserted));
    for (const column of ['last_seen_at', 'last_violation_at', 'updated_at']) {
      expect(times(column, updated), column).toBeGreaterThan(times(column, inserted));
    }
    expect(times('last_violation_at', second)).toBe(times('last_violation_at', updated));

    const actions = updated.actions_taken as Json[];
    expect(actions.map((a) => a.comment_id)).toEqual(['c1', 'c2']);
    expect(actions[1]).toEqual({
      timestamp: actions[1]!.timestamp,
      comment_id: 'c2',
      action_tags: [],
      severity: 'critical',
      toxicity_score: null,
    });
    expect(actions[0]).toMatchObject({ severity: 'high', toxicity_score: 0.75, action_tags: ['warning'] });

    await record(offenderArgs('u_insert', violation({ comment_id: 'c3' }), 'alice_renamed'));
    expect((await row('u_insert'))!.platform_username).toBe('alice_renamed');
  });

  it('keeps only the newest 100 actions_taken entries, oldest first, after 105 calls', async () => {
    for (let i = 1; i <= 105; i++) await record(offenderArgs('u_bounded', violation({ comment_id: `c${i}` })));
    const bounded = (await row('u_bounded'))!;
    expect(bounded.total_violations).toBe(105);
    expect(bounded.severity_counts).toEqual({ low: 0, medium: 105, high: 0, critical: 0 });
    const ids = (bounded.actions_taken as Json[]).map((a) => a.comment_id);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => `c${i + 6}`));
  });

  it.each([
    ['toxicity_score absent', { severity: 'low', comment_id: 'c', action_tags: [] }],
    ['toxicity_score 0', violation({ toxicity_score: 0 })],
    ['toxicity_score 1', violation({ toxicity_score: 1 })],
    ['a 256-character comment_id', violation({ comment_id: 'x'.repeat(256) })],
    [
      '32 tags of 64 characters',
      violation({ action_tags: Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(64, 't')) }),
    ],
  ])('accepts the edge case: %s', async (name, data) => {
    const result = await record(offenderArgs(`u_edge_${name.replace(/\W/g, '_')}`, data));
    expect(result.total_violations).toBe(1);
  });

  it('loses no update with 50 concurrent calls on one row through a pool of 20', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        record(
          offenderArgs(
            'u_concurrent',
            violation({ severity: ['low', 'medium', 'high', 'critical'][i % 4], comment_id: `c${i}` }),
          ),
        ),
      ),
    );
    // Each call saw the row as the previous one left it: every total from 1 to 50 exactly once.
    expect(results.map((r) => r.total_violations as number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const final = (await row('u_concurrent'))!;
    expect(final.total_violations).toBe(50);
    expect(final.severity_counts).toEqual({ low: 13, medium: 13, high: 12, critical: 12 });
    expect(new Set((final.actions_taken as Json[]).map((a) => a.comment_id)).size).toBe(50);
  });
});

describe('atomic_update_user_behavior: bad input is refused and writes nothing', () => {
  beforeAll(async () => {
    // The target row exists, so a wrongly accepted call would change it, not just add one.
    await record(offenderArgs('victim', violation(), 'victim_name'));
  });

  const long = (n: number) => 'x'.repeat(n);
  const bad: [string, Args, string, RegExp][] = [
    [
      'null organization id',
      [null, 'twitter', 'victim', null, violation()],
      '22004',
      /p_organization_id must not be null/,
    ],
    ['null platform', [seedOrganization, null, 'victim', null, violation()], '22004', /p_platform must not be null/],
    [
      'empty platform',
      [seedOrganization, '', 'victim', null, violation()],
      '22023',
      /p_platform must be 1 to 64 characters/,
    ],
    [
      '65-character platform',
      [seedOrganization, long(65), 'victim', null, violation()],
      '22023',
      /p_platform must be 1 to 64/,
    ],
    [
      'blank platform',
      [seedOrganization, ' \t ', 'victim', null, violation()],
      '22023',
      /p_platform must not be blank/,
    ],
    [
      'null user id',
      [seedOrganization, 'twitter', null, null, violation()],
      '22004',
      /p_platform_user_id must not be null/,
    ],
    [
      'empty user id',
      [seedOrganization, 'twitter', '', null, violation()],
      '22023',
      /p_platform_user_id must be 1 to 256/,
    ],
    [
      '257-character user id',
      [seedOrganization, 'twitter', long(257), null, violation()],
      '22023',
      /p_platform_user_id must be 1 to 256/,
    ],
    [
      'blank user id',
      [seedOrganization, 'twitter', '   ', null, violation()],
      '22023',
      /p_platform_user_id must not be blank/,
    ],
    [
      '257-character username',
      offenderArgs('victim', violation(), long(257)),
      '22023',
      /p_platform_username must be null or 1 to 256/,
    ],
    [
      'empty username',
      offenderArgs('victim', violation(), ''),
      '22023',
      /p_platform_username must be null or 1 to 256/,
    ],
    ['null violation data', offenderArgs('victim', null), '22004', /p_violation_data must not be null/],
    [
      'violation data an array',
      offenderArgs('victim', [violation()]),
      '22P02',
      /p_violation_data must be a JSON object \(got array\)/,
    ],
    [
      'violation data a string',
      offenderArgs('victim', 'medium'),
      '22P02',
      /p_violation_data must be a JSON object \(got string\)/,
    ],
    [
      'violation data over 8 KB',
      offenderArgs('victim', violation({ comment_id: long(9000) })),
      '22023',
      /larger than 8192 bytes/,
    ],
    ['an unknown key (typo)', offenderArgs('victim', violation({ toxicity: 0.5 })), '22023', /unknown keys: toxicity/],
    [
      'severity missing',
      offenderArgs('victim', violation({ severity: undefined })),
      '22023',
      /severity must be one of low, medium, high, critical/,
    ],
    [
      'severity unknown',
      offenderArgs('victim', violation({ severity: 'extreme' })),
      '22023',
      /severity must be one of/,
    ],
    [
      'severity in capitals',
      offenderArgs('victim', violation({ severity: 'MEDIUM' })),
      '22023',
      /severity must be one of/,
    ],
    ['severity a number', offenderArgs('victim', violation({ severity: 2 })), '22023', /severity must be one of/],
    [
      'toxicity_score a string',
      offenderArgs('victim', violation({ toxicity_score: '0.5' })),
      '22P02',
      /toxicity_score must be a number or null \(got a JSON string\)/,
    ],
    [
      'toxicity_score a boolean',
      offenderArgs('victim', violation({ toxicity_score: true })),
      '22P02',
      /toxicity_score must be a number or null/,
    ],
    [
      'toxicity_score below 0',
      offenderArgs('victim', violation({ toxicity_score: -0.01 })),
      '22023',
      /toxicity_score must be between 0 and 1 \(got -0.01\)/,
    ],
    [
      'toxicity_score above 1',
      offenderArgs('victim', violation({ toxicity_score: 1.5 })),
      '22023',
      /toxicity_score must be between 0 and 1/,
    ],
    [
      'comment_id missing',
      offenderArgs('victim', violation({ comment_id: undefined })),
      '22023',
      /comment_id is required/,
    ],
    [
      'comment_id JSON null',
      offenderArgs('victim', violation({ comment_id: null })),
      '22023',
      /comment_id is required/,
    ],
    [
      'comment_id a number',
      offenderArgs('victim', violation({ comment_id: 42 })),
      '22P02',
      /comment_id must be a string \(got a JSON number\)/,
    ],
    [
      'comment_id empty',
      offenderArgs('victim', violation({ comment_id: '' })),
      '22023',
      /comment_id must be 1 to 256 characters long \(got 0\)/,
    ],
    [
      'comment_id 257 characters',
      offenderArgs('victim', violation({ comment_id: long(257) })),
      '22023',
      /comment_id must be 1 to 256/,
    ],
    [
      'action_tags missing',
      offenderArgs('victim', violation({ action_tags: undefined })),
      '22023',
      /action_tags is required/,
    ],
    [
      'action_tags a string',
      offenderArgs('victim', violation({ action_tags: 'warning' })),
      '22P02',
      /action_tags must be an array of strings \(got a JSON string\)/,
    ],
    [
      'action_tags an object',
      offenderArgs('victim', violation({ action_tags: { a: 1 } })),
      '22P02',
      /action_tags must be an array/,
    ],
    [
      'a tag that is not a string',
      offenderArgs('victim', violation({ action_tags: ['warning', 7] })),
      '22P02',
      /action_tags\[1\] must be a string \(got a JSON number\)/,
    ],
    [
      '33 tags',
      offenderArgs('victim', violation({ action_tags: Array(33).fill('warning') })),
      '22023',
      /more than 32 tags \(got 33\)/,
    ],
    [
      'a 65-character tag',
      offenderArgs('victim', violation({ action_tags: [long(65)] })),
      '22023',
      /action_tags\[0\] must be 1 to 64 characters/,
    ],
    [
      'an empty tag',
      offenderArgs('victim', violation({ action_tags: ['ok', ''] })),
      '22023',
      /action_tags\[1\] must be 1 to 64 characters/,
    ],
    [
      'an unknown organization',
      [unknownOrganization, 'twitter', 'victim', null, violation()],
      '23503',
      /foreign key constraint/,
    ],
  ];

  it.each(bad)('%s → SQLSTATE %s', async (_name, args, sqlState, message) => {
    const before = await wholeTable();
    await expect(record(args)).rejects.toMatchObject({ sqlState, message: expect.stringMatching(message) });
    expect(await wholeTable()).toEqual(before);
  });
});

describe('atomic_add_user_strike', () => {
  async function strike(args: unknown[]): Promise<Json> {
    const { rows } = await t.db.query<{ result: Json }>(strikeSql, args);
    return rows[0]!.result;
  }
  const strikeArgs = (
    userId: string,
    strikes: unknown = 1,
    reason: unknown = 'add_strike_1',
    username: unknown = null,
  ) => [seedOrganization, 'twitter', userId, username, strikes, reason];

  it('adds 1 then 2 strikes atomically and returns exactly the documented shape', async () => {
    const first = await strike(strikeArgs('s_happy', 1, 'add_strike_1', 'bob'));
    expect(Object.keys(first).sort()).toEqual(['last_strike_at', 'organization_id', 'strikes', 'user_id']);
    expect(first).toMatchObject({ user_id: 's_happy', organization_id: seedOrganization, strikes: 1 });
    const second = await strike(strikeArgs('s_happy', 2, 'add_strike_2'));
    expect(second.strikes).toBe(3);
    const stored = (await row('s_happy'))!;
    expect(stored).toMatchObject({
      strikes: 3,
      platform_username: 'bob',
      total_violations: 0,
      last_violation_at: null,
    });
    expect(times('last_strike_at', stored)).toBe(times('last_strike_at', second));
    expect(times('last_strike_at', second)).toBeGreaterThan(times('last_strike_at', first));
    expect(times('updated_at', stored)).toBe(times('last_strike_at', stored));
  });

  it('keeps violations and strikes on the same row independent', async () => {
    await record(offenderArgs('s_mixed'));
    await strike(strikeArgs('s_mixed', 2, 'add_strike_2'));
    expect(await row('s_mixed')).toMatchObject({ total_violations: 1, strikes: 2 });
  });

  describe('bad input is refused and writes nothing', () => {
    beforeAll(async () => {
      await strike(strikeArgs('s_victim'));
    });
    const bad: [string, unknown[], string, RegExp][] = [
      [
        'null organization id',
        [null, 'twitter', 's_victim', null, 1, 'r'],
        '22004',
        /p_organization_id must not be null/,
      ],
      ['empty platform', [seedOrganization, '', 's_victim', null, 1, 'r'], '22023', /p_platform must be 1 to 64/],
      ['blank platform', [seedOrganization, '  ', 's_victim', null, 1, 'r'], '22023', /p_platform must not be blank/],
      [
        'null user id',
        [seedOrganization, 'twitter', null, null, 1, 'r'],
        '22004',
        /p_platform_user_id must not be null/,
      ],
      [
        'blank user id',
        [seedOrganization, 'twitter', '\n', null, 1, 'r'],
        '22023',
        /p_platform_user_id must not be blank/,
      ],
      [
        '257-character username',
        strikeArgs('s_victim', 1, 'r', 'x'.repeat(257)),
        '22023',
        /p_platform_username must be null or 1 to 256/,
      ],
      ['null strikes', strikeArgs('s_victim', null), '22004', /p_strikes must not be null/],
      ['0 strikes', strikeArgs('s_victim', 0), '22023', /p_strikes must be 1 or 2 \(got 0\)/],
      ['3 strikes', strikeArgs('s_victim', 3), '22023', /p_strikes must be 1 or 2 \(got 3\)/],
      ['-1 strikes', strikeArgs('s_victim', -1), '22023', /p_strikes must be 1 or 2/],
      ['null reason', strikeArgs('s_victim', 1, null), '22004', /p_reason must not be null/],
      ['empty reason', strikeArgs('s_victim', 1, ''), '22023', /p_reason must be 1 to 256 characters/],
      ['257-character reason', strikeArgs('s_victim', 1, 'x'.repeat(257)), '22023', /p_reason must be 1 to 256/],
      [
        'an unknown organization',
        [unknownOrganization, 'twitter', 's_victim', null, 1, 'r'],
        '23503',
        /foreign key constraint/,
      ],
    ];
    it.each(bad)('%s → SQLSTATE %s', async (_name, args, sqlState, message) => {
      const before = await wholeTable();
      await expect(strike(args)).rejects.toMatchObject({ sqlState, message: expect.stringMatching(message) });
      expect(await wholeTable()).toEqual(before);
    });
  });
});
