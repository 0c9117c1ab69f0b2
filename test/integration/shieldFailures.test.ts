import { describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.js';
import { executeActionsFromTags } from '../../src/shield/executeActions.js';
import { claimJobs } from '../../src/shield/jobs/jobQueue.js';
import { type PlatformAdapter, runWorkerPass } from '../../src/shield/jobs/worker.js';
import { writerFor } from '../../src/shield/writers/index.js';
import { useShieldDatabase } from './shieldFixtures.js';

// Seed Shield E2E scenarios 6-8 (platform API failure, database failure, malicious input),
// plus the healthy worker; the list of all twelve is in shieldFixtures.ts.
const shield = useShieldDatabase();

describe('Shield E2E: failures', () => {
  it('platform API failure: the job is retried, then failed with the error kept; behaviour and audit untouched', async () => {
    await shield.db.query("update public.shield_jobs set status = 'done'"); // earlier scenarios' jobs are not this worker's concern
    const who = shield.offender('discord');
    const result = await executeActionsFromTags(shield.deps, shield.org, who.comment(), ['hide_comment'], {
      toxicity_score: 0.9,
    });
    const behaviour = await shield.behaviourOf(who.user);
    const failing: PlatformAdapter = {
      perform: async () => Promise.reject(new Error('discord 503: service unavailable')),
    };
    const retry = { maxAttempts: 2, backoffSeconds: 0 };

    expect(await runWorkerPass(shield.db, { discord: failing }, { retry })).toMatchObject({
      claimed: 1,
      retried: 1,
      failed: 0,
    });
    expect(await runWorkerPass(shield.db, { discord: failing }, { retry })).toMatchObject({
      claimed: 1,
      retried: 0,
      failed: 1,
    });
    const { rows } = await shield.db.query(
      'select status, attempts, last_error from public.shield_jobs where id = $1',
      [result.actions[0]!.jobId],
    );
    expect(rows).toEqual([{ status: 'failed', attempts: 2, last_error: 'discord 503: service unavailable' }]);
    expect(await shield.behaviourOf(who.user)).toEqual(behaviour);
    expect(await runWorkerPass(shield.db, { discord: failing })).toMatchObject({ claimed: 0 });
  });

  it('the worker completes jobs on a healthy adapter, and concurrent claims never share a job (SKIP LOCKED)', async () => {
    await shield.db.query("update public.shield_jobs set status = 'done' where status = 'queued'");
    // 0.9 on a first offender: hide_reply + the escalation (critical × first → block_user), 2 jobs each.
    for (let i = 0; i < 6; i++) await shield.moderate('twitter', 0.9);
    const [a, b] = await Promise.all([claimJobs(shield.db, 4), claimJobs(shield.db, 4)]);
    const ids = [...a, ...b].map((job) => job.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(8);
    await shield.db.query("update public.shield_jobs set status = 'queued', attempts = 0 where status = 'running'");
    const performed: string[] = [];
    const ok: PlatformAdapter = { perform: async (job) => void performed.push(job.action) };
    const pass = await runWorkerPass(shield.db, { twitter: ok }, { limit: 50 });
    expect(pass).toMatchObject({ claimed: 12, done: 12 });
    expect(performed.sort()).toEqual([...Array(6).fill('block_user'), ...Array(6).fill('hide_reply')]);
  });

  it('database failure in the batched insert: nothing half-written, the failure is reported, the violation stays counted once', async () => {
    await shield.db.query(`create function shield_e2e_fail_jobs() returns trigger language plpgsql as $$
      begin if new.payload ->> 'comment_id' like 'explode-%' then raise exception 'disk full (simulated)'; end if; return new; end $$`);
    await shield.db.query(
      'create trigger fail_jobs before insert on public.shield_jobs for each row execute function shield_e2e_fail_jobs()',
    );
    try {
      const before = await shield.tableCounts();
      const comment = { id: 'explode-1', platform: 'twitter', platform_user_id: 'explode-user' };
      const result = await executeActionsFromTags(
        shield.deps,
        shield.org,
        comment,
        ['hide_comment', 'require_manual_review'],
        { toxicity_score: 0.9 },
      );
      expect(result.success).toBe(false);
      expect(result.failedActions.map((a) => a.tag)).toEqual(['hide_comment', 'require_manual_review']);
      expect(result.failedActions[0]!.reason).toMatch(
        /^actions not written \(the violation is counted, total 1\): disk full \(simulated\)/,
      );
      // shield_actions rows precede the failing shield_jobs insert in the same statement: none survive.
      expect(await shield.auditOf(comment.id)).toEqual([]);
      expect(await shield.tableCounts()).toEqual({ ...before, behaviours: before.behaviours + 1 });
      expect((await shield.behaviourOf('explode-user'))?.actions_taken.map((e) => e.comment_id)).toEqual(['explode-1']);
    } finally {
      await shield.db.query('drop trigger fail_jobs on public.shield_jobs; drop function shield_e2e_fail_jobs()');
    }
  });

  it('database failure in the atomic function: no action row orphaned, no job queued', async () => {
    await shield.db.query(`create function shield_e2e_fail_behaviour() returns trigger language plpgsql as $$
      begin raise exception 'out of shared memory (simulated)'; end $$`);
    await shield.db.query(`create trigger fail_behaviour before insert or update on public.user_behaviors for each row
      when (new.platform_user_id = 'doomed') execute function shield_e2e_fail_behaviour()`);
    try {
      const before = await shield.tableCounts();
      const doomed = { id: 'd1', platform: 'twitch', platform_user_id: 'doomed' };
      const result = await executeActionsFromTags(shield.deps, shield.org, doomed, ['hide_comment', 'add_strike_1'], {
        toxicity_score: 0.9,
      });
      expect(result).toMatchObject({ success: false, behaviour: null, roundTrips: 1 });
      expect(result.failedActions).toEqual([
        {
          tag: 'hide_comment',
          platformAction: null,
          status: 'failed',
          reason: 'behaviour not recorded, no action taken: out of shared memory (simulated)',
          errorCode: 'database_error',
        },
        expect.objectContaining({ tag: 'add_strike_1', status: 'failed' }),
      ]);
      expect(await shield.tableCounts()).toEqual(before);
    } finally {
      await shield.db.query(
        'drop trigger fail_behaviour on public.user_behaviors; drop function shield_e2e_fail_behaviour()',
      );
    }
  });

  it('an unreachable database and an unknown organization both come back as failed results, never as throws', async () => {
    const down = Database.connect('postgres://shield:s3cret-pw@127.0.0.1:1/nowhere', { max: 1 });
    try {
      const result = await executeActionsFromTags(
        { db: down, writer: writerFor('rpc') },
        shield.org,
        shield.offender('twitter').comment(),
        ['hide_comment'],
        {
          toxicity_score: 0.9,
        },
      );
      expect(result.success).toBe(false);
      expect(result.failedActions[0]!.reason).toMatch(/could not talk to the database/);
      expect(JSON.stringify(result)).not.toContain('s3cret-pw');
    } finally {
      await down.close();
    }
    const before = await shield.tableCounts();
    const missing = await executeActionsFromTags(
      shield.deps,
      '00000000-0000-0000-0000-0000000000ff',
      shield.offender('twitter').comment(),
      ['hide_comment'],
      {
        toxicity_score: 0.9,
      },
    );
    expect(missing.failedActions[0]!.reason).toBe(
      'behaviour not recorded, no action taken: organization 00000000-0000-0000-0000-0000000000ff does not exist',
    );
    expect(await shield.tableCounts()).toEqual(before);
  });
});

describe('Shield E2E: malicious input', () => {
  // The table is built before beforeAll has created the organization: the marker stands for it.
  const theOrganization = Symbol('the test organization');
  const good = { id: 'm1', platform: 'twitter', platform_user_id: 'm-user' };
  it.each([
    [
      'an injection in the comment id',
      theOrganization,
      { ...good, id: "1'); delete from shield_actions; --" },
      ['hide_comment'],
      { toxicity_score: 0.9 },
      'comment.id: ',
    ],
    [
      'an injection in the user id',
      theOrganization,
      { ...good, platform_user_id: "x' or '1'='1" },
      ['hide_comment'],
      { toxicity_score: 0.9 },
      'comment.platform_user_id: ',
    ],
    [
      'an injection as the organization',
      "' or 1=1 --",
      good,
      ['hide_comment'],
      { toxicity_score: 0.9 },
      'organizationId: ',
    ],
    [
      'an oversized comment',
      theOrganization,
      { ...good, text: 'a'.repeat(100_001) },
      ['hide_comment'],
      { toxicity_score: 0.9 },
      'comment.text: ',
    ],
    [
      'oversized metadata',
      theOrganization,
      good,
      ['hide_comment'],
      { toxicity_score: 0.9, blob: 'b'.repeat(50_000) },
      'metadata: ',
    ],
    ['an unknown tag', theOrganization, good, ['hide_comment', 'drop_database'], { toxicity_score: 0.9 }, 'tags[1]: '],
    ['tags of the wrong type', theOrganization, good, 'hide_comment', { toxicity_score: 0.9 }, 'tags: '],
    [
      'a toxicity of the wrong type',
      theOrganization,
      good,
      ['hide_comment'],
      { toxicity_score: '0.9; drop table x' },
      'metadata.toxicity_score: ',
    ],
    ['no comment at all', theOrganization, null, ['hide_comment'], { toxicity_score: 0.9 }, 'comment: '],
  ])('%s → failed result, nothing written, no round trip', async (_what, o, comment, tags, metadata, problem) => {
    const before = await shield.tableCounts();
    const organization = o === theOrganization ? shield.org : (o as string);
    const result = await executeActionsFromTags(shield.deps, organization, comment as never, tags as never, metadata);
    expect(result).toMatchObject({ success: false, roundTrips: 0, actions: [{ tag: 'input', status: 'failed' }] });
    // Refused for the hostile field itself, and only for it.
    expect(result.failedActions[0]!.reason).toMatch(/^request refused: /);
    const problems = result.failedActions[0]!.reason!.replace(/^request refused: /, '').split('; ');
    expect(problems.map((p) => p.slice(0, problem.length))).toEqual([problem]);
    expect(await shield.tableCounts()).toEqual(before);
  });

  it('hostile text and metadata with valid ids are stored verbatim as data, never run', async () => {
    const hostile = "'); drop table public.shield_actions; --";
    const comment = { ...shield.offender('bluesky').comment(), text: hostile };
    const result = await executeActionsFromTags(shield.deps, shield.org, comment, ['hide_comment'], {
      toxicity_score: 0.9,
      note: hostile,
    });
    expect(result.success).toBe(true);
    expect((await shield.auditOf(comment.id))[0]).toMatchObject({
      platform_action: 'hide_reply',
      metadata: { request: { note: hostile } },
    });
  });
});
