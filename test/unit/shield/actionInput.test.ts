import { describe, expect, it } from 'vitest';
import { inputLimits, parseActionRequest } from '../../../src/shield/actionInput.js';

const org = '00000000-0000-0000-0000-000000000001';
const comment = { id: '1790000000000000001', platform: 'twitter', platform_user_id: '42', platform_username: 'troll' };

function problemsOf(...args: Parameters<typeof parseActionRequest>): string[] {
  const parsed = parseActionRequest(...args);
  if (parsed.ok) throw new Error('expected the request to be refused');
  return parsed.problems;
}

describe('parseActionRequest', () => {
  it('accepts a well-formed request and deduplicates tags in order', () => {
    const parsed = parseActionRequest(org, comment, ['hide_comment', 'add_strike_1', 'hide_comment'], {
      toxicity_score: 0.9,
    });
    expect(parsed).toEqual({
      ok: true,
      request: {
        organizationId: org,
        comment,
        tags: ['hide_comment', 'add_strike_1'],
        metadata: { toxicity_score: 0.9 },
      },
    });
  });

  it('accepts Bluesky DIDs and at:// URIs as ids, and keeps extra metadata', () => {
    const parsed = parseActionRequest(
      org,
      { id: 'at://did:plc:abc123/app.bsky.feed.post/3k2a', platform: 'bluesky', platform_user_id: 'did:plc:abc123' },
      ['check_reincidence'],
      { severity: 'high', model: 'perspective-v1' },
    );
    expect(parsed.ok).toBe(true);
  });

  it('reports every problem at once, each naming its field', () => {
    const problems = problemsOf(
      'not-a-uuid',
      { ...comment, platform: 'myspace', platform_user_id: '' },
      ['hide_comment', 'nuke_account'],
      {
        toxicity_score: 1.5,
      },
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^organizationId: must be a uuid/),
        expect.stringMatching(/^comment\.platform: /),
        expect.stringMatching(/^comment\.platform_user_id: /),
        expect.stringMatching(/^tags\[1\]: "nuke_account" is not a known tag/),
        expect.stringMatching(/^metadata\.toxicity_score: /),
      ]),
    );
  });

  it.each([
    ["1'; drop table shield_actions; --", 'comment.id'],
    ['42 OR 1=1', 'comment.id'],
    ['\u0000', 'comment.id'],
  ])('refuses the id %j', (id, field) => {
    expect(problemsOf(org, { ...comment, id }, ['hide_comment'], { toxicity_score: 0.9 })[0]).toMatch(
      new RegExp(`^${field.replace('.', '\\.')}: may only contain letters, digits`),
    );
  });

  it('accepts SQL-looking comment text: the text is the toxic comment itself', () => {
    expect(
      parseActionRequest(org, { ...comment, text: "'; drop table users; --" }, ['hide_comment'], {
        toxicity_score: 0.9,
      }).ok,
    ).toBe(true);
  });

  it.each([
    [
      'text',
      { ...comment, text: 'x'.repeat(inputLimits.textLength + 1) },
      ['hide_comment'],
      { toxicity_score: 0.9 },
      /^comment\.text: /,
    ],
    [
      'id',
      { ...comment, id: '1'.repeat(inputLimits.idLength + 1) },
      ['hide_comment'],
      { toxicity_score: 0.9 },
      /^comment\.id: /,
    ],
    ['tags', comment, Array(inputLimits.tagCount + 1).fill('hide_comment'), { toxicity_score: 0.9 }, /^tags: /],
    [
      'metadata',
      comment,
      ['hide_comment'],
      { toxicity_score: 0.9, blob: 'x'.repeat(inputLimits.metadataBytes) },
      /^metadata: must serialise/,
    ],
  ])('refuses an oversized %s', (_what, c, tags, metadata, problem) => {
    expect(problemsOf(org, c, tags, metadata)).toEqual([expect.stringMatching(problem)]);
  });

  it.each([
    ['org id as a number', 42, comment, ['hide_comment'], { toxicity_score: 0.9 }, /^organizationId: /],
    ['comment as a string', org, 'comment', ['hide_comment'], { toxicity_score: 0.9 }, /^comment: /],
    ['tags as a string', org, comment, 'hide_comment', { toxicity_score: 0.9 }, /^tags: /],
    ['a tag as a number', org, comment, [7], { toxicity_score: 0.9 }, /^tags\[0\]: 7 is not a known tag/],
    ['toxicity as a string', org, comment, ['hide_comment'], { toxicity_score: '0.9' }, /^metadata\.toxicity_score: /],
    ['toxicity NaN', org, comment, ['hide_comment'], { toxicity_score: Number.NaN }, /^metadata\.toxicity_score: /],
    ['an unknown severity', org, comment, ['hide_comment'], { severity: 'extreme' }, /^metadata\.severity: /],
    [
      'an unknown comment field',
      org,
      { ...comment, admin: true },
      ['hide_comment'],
      { toxicity_score: 0.9 },
      /^comment: /,
    ],
  ])('refuses %s', (_what, o, c, tags, metadata, problem) => {
    expect(problemsOf(o, c, tags, metadata)[0]).toMatch(problem);
  });

  it('needs a toxicity score or a severity: without either there is nothing to record', () => {
    expect(problemsOf(org, comment, ['hide_comment'], {})).toEqual([
      expect.stringMatching(/^metadata: needs toxicity_score or severity/),
    ]);
  });

  it('treats unserialisable metadata as too big instead of crashing', () => {
    const cyclic: Record<string, unknown> = { toxicity_score: 0.9 };
    cyclic.self = cyclic;
    expect(problemsOf(org, comment, ['hide_comment'], cyclic)).toEqual([
      expect.stringMatching(/^metadata: must serialise/),
    ]);
  });
});
