import { randomBytes } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Database, type Queryable } from '../../src/db/database.js';
import { DatabaseError, UsageError } from '../../src/errors.js';
import { executeActionsFromTags } from '../../src/shield/executeActions.js';
import { completeJob } from '../../src/shield/jobs/completeJob.js';
import { type ClaimedJob, claimJobs, failJob } from '../../src/shield/jobs/jobQueue.js';
import { maxMuteSeconds, platformSanctions, sanctionFor } from '../../src/shield/jobs/sanctions.js';
import { type PlatformAdapter, runWorkerPass } from '../../src/shield/jobs/worker.js';
import { platformActionTable } from '../../src/shield/platformActions.js';
import { platforms } from '../../src/shield/platforms.js';
import { adminUrl } from '../support/database.js';
import { type Offender, useShieldDatabase } from './shieldFixtures.js';

// What a completed platform job leaves on the offender's user_behaviors row (block,
// permanent mute, timed mute), written by the statement that completes the job.
const shield = useShieldDatabase({ poolSize: 40 });
// The worker's own login role, a member of service_role like the Shield service. Roles are
// cluster-wide: hex digits make the name unique and safe to interpolate (it cannot be bound).
const workerRole = `sc_worker_${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  const admin = Database.connect(adminUrl(), { max: 1 });
  await admin.query(`drop role if exists ${workerRole}`).finally(() => admin.close());
});

// Earlier tests' jobs must not be claimed by the next one.
beforeEach(async () => {
  await shield.db.query("update public.shield_jobs set status = 'done' where status in ('queued', 'running')");
});

interface Flags {
  is_blocked: boolean;
  is_muted_permanent: boolean;
  muted_until: Date | null;
  total_violations: number;
}

async function flagsOf(who: Offender): Promise<Flags | undefined> {
  const { rows } = await shield.db.query<Flags>(
    'select is_blocked, is_muted_permanent, muted_until, total_violations from public.user_behaviors where platform_user_id = $1',
    [who.user],
  );
  return rows[0];
}

/** Every behaviour and job row, whole: "nothing written" compares two of these. */
async function everything(): Promise<{ behaviours: unknown; jobs: unknown }> {
  const { rows } = await shield.db.query<{ behaviours: unknown; jobs: unknown }>(
    `select (select jsonb_agg(to_jsonb(b) order by b.id) from public.user_behaviors b) as behaviours,
            (select jsonb_agg(to_jsonb(j) order by j.id) from public.shield_jobs j) as jobs`,
  );
  return rows[0]!;
}

/** Queues the platform jobs of `tags` for a fresh offender (through Shield itself) and claims them. */
async function claimedJobsFor(
  platform: string,
  tags: string[],
): Promise<{ who: Offender; jobs: Map<string, ClaimedJob> }> {
  const who = shield.offender(platform);
  const result = await executeActionsFromTags(shield.deps, shield.org, who.comment(), tags, { toxicity_score: 0.9 });
  expect(result.success).toBe(true);
  const jobs = await claimJobs(shield.db, 50);
  return { who, jobs: new Map(jobs.map((job) => [job.action, job])) };
}

/** A running job with a payload of the test's choosing (Shield itself never writes a bad one). */
async function runningJob(
  who: Offender,
  action: string,
  payload: object,
  organizationId = shield.org,
): Promise<ClaimedJob> {
  const { rows } = await shield.db.query<{ id: string }>(
    `insert into public.shield_jobs (organization_id, platform, action, payload, status, attempts)
     values ($1, $2, $3, $4, 'running', 1) returning id::text`,
    [organizationId, who.platform, action, JSON.stringify(payload)],
  );
  return {
    id: rows[0]!.id,
    organizationId,
    shieldActionId: null,
    platform: who.platform,
    action,
    payload: payload as Record<string, unknown>,
    attempts: 1,
  };
}

async function serverNow(): Promise<number> {
  const { rows } = await shield.db.query<{ now: Date }>('select clock_timestamp() as now');
  return rows[0]!.now.getTime();
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );
const ok: PlatformAdapter = { perform: async () => {} };

describe('which platform actions sanction whom', () => {
  it('maps each platform name of block_user, mute_permanent and mute_temp, and nothing else', () => {
    expect(platformSanctions).toEqual({
      twitter: { block_user: 'block', mute_user: 'mute_permanent' },
      discord: { ban_member: 'block', timeout_member: 'mute_temp', add_muted_role: 'mute_permanent' },
      twitch: { ban_user: 'block', timeout_user: 'mute_temp' },
      youtube: { ban_author: 'block', hide_user_from_channel: 'mute_permanent' },
      instagram: {},
      facebook: { ban_user: 'block' },
      bluesky: { block_account: 'block', mute_account: 'mute_permanent' },
    });
    for (const platform of platforms) {
      for (const action of ['block_user', 'mute_permanent', 'mute_temp'] as const) {
        const cell = platformActionTable[platform][action];
        if (typeof cell === 'string') expect(sanctionFor(platform, cell), `${platform} ${cell}`).not.toBeNull();
      }
    }
    expect([
      sanctionFor('twitter', 'hide_reply'),
      sanctionFor('twitter', 'report_spam'),
      sanctionFor('discord', 'send_warning_dm'),
    ]).toEqual([null, null, null]);
    expect([
      sanctionFor('mastodon', 'block_user'),
      sanctionFor('__proto__', 'toString'),
      sanctionFor('discord', 'constructor'),
    ]).toEqual([null, null, null]);
  });
});

describe('a completed job sets the sanction in the same statement', () => {
  it('Twitter block: the worker completes the job and the offender is blocked; hiding the reply changes no flag', async () => {
    const { who, jobs } = await claimedJobsFor('twitter', ['hide_comment', 'block_user']);
    await shield.db.query("update public.shield_jobs set status = 'queued', attempts = 0 where status = 'running'");
    expect(await flagsOf(who)).toMatchObject({ is_blocked: false, is_muted_permanent: false, muted_until: null });
    expect(await runWorkerPass(shield.db, { twitter: ok })).toMatchObject({ claimed: 2, done: 2 });
    expect(await flagsOf(who)).toMatchObject({
      is_blocked: true,
      is_muted_permanent: false,
      muted_until: null,
      total_violations: 1,
    });
    const { rows } = await shield.db.query(
      'select action, status from public.shield_jobs where id = any($1::bigint[]) order by action',
      [[...jobs.values()].map((job) => job.id)],
    );
    expect(rows).toEqual([
      { action: 'block_user', status: 'done' },
      { action: 'hide_reply', status: 'done' },
    ]);
  });

  it('Discord permanent mute (add_muted_role) sets is_muted_permanent and says so', async () => {
    const { who, jobs } = await claimedJobsFor('discord', ['mute_permanent']);
    const outcome = await completeJob(shield.db, jobs.get('add_muted_role')!);
    expect(outcome).toEqual({
      completed: true,
      sanction: { sanction: 'mute_permanent', isBlocked: false, isMutedPermanent: true, mutedUntil: null },
    });
    expect(await flagsOf(who)).toMatchObject({ is_blocked: false, is_muted_permanent: true, muted_until: null });
  });

  it('Discord timeout: muted_until is the completion time plus duration_seconds, and a shorter timeout never shortens it', async () => {
    const { who, jobs } = await claimedJobsFor('discord', ['mute_temp']);
    const before = await serverNow();
    const outcome = await completeJob(shield.db, jobs.get('timeout_member')!);
    const after = await serverNow();
    const until = (await flagsOf(who))!.muted_until!.getTime();
    expect(until).toBeGreaterThanOrEqual(before + 86_400_000 - 1);
    expect(until).toBeLessThanOrEqual(after + 86_400_000);
    expect(outcome).toMatchObject({
      completed: true,
      sanction: { sanction: 'mute_temp', isBlocked: false, mutedUntil: new Date(until) },
    });

    await completeJob(
      shield.db,
      await runningJob(who, 'timeout_member', { platform_user_id: who.user, duration_seconds: 60 }),
    );
    expect((await flagsOf(who))!.muted_until!.getTime()).toBe(until);
    await completeJob(
      shield.db,
      await runningJob(who, 'timeout_member', { platform_user_id: who.user, duration_seconds: 2 * 86_400 }),
    );
    expect((await flagsOf(who))!.muted_until!.getTime()).toBeGreaterThan(until + 86_000_000);
  });

  it('a failed job changes nothing on the behaviour row, retried or failed for good', async () => {
    const { who, jobs } = await claimedJobsFor('twitch', ['block_user', 'mute_temp']);
    const before = await everything();
    await failJob(shield.db, jobs.get('ban_user')!, 'twitch 500', { maxAttempts: 1, backoffSeconds: 0 });
    await failJob(shield.db, jobs.get('timeout_user')!, 'twitch 429', { maxAttempts: 5, backoffSeconds: 0 });
    expect((await everything()).behaviours).toEqual(before.behaviours);
    expect(await flagsOf(who)).toMatchObject({ is_blocked: false, is_muted_permanent: false, muted_until: null });
    const { rows } = await shield.db.query<{ status: string }>(
      'select status from public.shield_jobs where id = any($1::bigint[]) order by action',
      [[jobs.get('ban_user')!.id, jobs.get('timeout_user')!.id]],
    );
    expect(rows.map((r) => r.status)).toEqual(['failed', 'queued']);
  });

  it("failing another organization's job touches nothing", async () => {
    const { jobs } = await claimedJobsFor('twitch', ['block_user']);
    const job = jobs.get('ban_user')!;
    const before = await everything();
    const otherOrganization = await shield.newOrganization();
    expect(
      await failJob(shield.db, { ...job, organizationId: otherOrganization }, 'not mine', {
        maxAttempts: 1,
        backoffSeconds: 0,
      }),
    ).toBeNull();
    expect(await everything()).toEqual(before);
    expect(await failJob(shield.db, job, 'twitch 500', { maxAttempts: 1, backoffSeconds: 0 })).toMatchObject({
      status: 'failed',
    });
  });

  it('a behaviour write that fails leaves the job running: never done without its sanction', async () => {
    const { who, jobs } = await claimedJobsFor('youtube', ['block_user']);
    await shield.db.query(`create function shield_sanction_fail() returns trigger language plpgsql as $$
      begin if new.is_blocked then raise exception 'disk full (simulated)'; end if; return new; end $$`);
    await shield.db.query(
      'create trigger sanction_fail before update on public.user_behaviors for each row execute function shield_sanction_fail()',
    );
    try {
      const before = await everything();
      expect(await caught(completeJob(shield.db, jobs.get('ban_author')!))).toMatchObject({
        message: 'disk full (simulated)',
      });
      expect(await everything()).toEqual(before);
    } finally {
      await shield.db.query(
        'drop trigger sanction_fail on public.user_behaviors; drop function shield_sanction_fail()',
      );
    }
    expect(await completeJob(shield.db, jobs.get('ban_author')!)).toMatchObject({
      completed: true,
      sanction: { isBlocked: true },
    });
    expect(await flagsOf(who)).toMatchObject({ is_blocked: true });
  });
});

describe('concurrent completions for one offender', () => {
  it('30 sanction jobs and 20 violations at once leave one consistent row; an observer never sees a done block with is_blocked false', async () => {
    const who = shield.offender('discord');
    await shield.moderate('discord', 0.5, who);
    const durations = Array.from({ length: 20 }, (_, i) => 600 * (i + 1));
    const jobs = [
      ...(await Promise.all(
        Array.from({ length: 5 }, () => runningJob(who, 'ban_member', { platform_user_id: who.user })),
      )),
      ...(await Promise.all(
        Array.from({ length: 5 }, () => runningJob(who, 'add_muted_role', { platform_user_id: who.user })),
      )),
      ...(await Promise.all(
        durations.map((d) => runningJob(who, 'timeout_member', { platform_user_id: who.user, duration_seconds: d })),
      )),
    ];
    const blockIds = jobs.slice(0, 5).map((job) => job.id);
    let observing = true;
    const torn: unknown[] = [];
    const observer = (async () => {
      while (observing) {
        const { rows } = await shield.db.query(
          `select j.id from public.shield_jobs j join public.user_behaviors b on b.platform_user_id = $2
            where j.id = any($1::bigint[]) and j.status = 'done' and not b.is_blocked`,
          [blockIds, who.user],
        );
        torn.push(...rows);
      }
    })();
    const start = await serverNow();
    const [completions] = await Promise.all([
      Promise.all(jobs.map((job) => completeJob(shield.db, job))),
      Promise.all(Array.from({ length: 20 }, () => shield.moderate('discord', 0.5, who))),
    ]);
    const end = await serverNow();
    observing = false;
    await observer;

    expect(torn).toEqual([]);
    expect(completions.every((c) => c.completed)).toBe(true);
    const row = (await flagsOf(who))!;
    expect(row).toMatchObject({ is_blocked: true, is_muted_permanent: true, total_violations: 21 });
    // The longest timeout wins whatever order the completions took.
    expect(row.muted_until!.getTime()).toBeGreaterThanOrEqual(start + 12_000_000 - 1);
    expect(row.muted_until!.getTime()).toBeLessThanOrEqual(end + 12_000_000);
  });

  it('one job completed by two callers at once: exactly one completes it', async () => {
    const who = shield.offender('twitch');
    const job = await runningJob(who, 'ban_user', { platform_user_id: who.user });
    const outcomes = await Promise.all([completeJob(shield.db, job), completeJob(shield.db, job)]);
    expect(outcomes.map((o) => o.completed).sort()).toEqual([false, true]);
    // The loser's snapshot saw 'running' if it started before the winner committed, 'done' after.
    expect(outcomes.find((o) => !o.completed)).toMatchObject({
      completed: false,
      status: expect.stringMatching(/^(running|done)$/),
    });
    expect(await flagsOf(who)).toMatchObject({ is_blocked: true, total_violations: 0 });
  });
});

describe('bad input: a clear error and nothing written', () => {
  it.each([
    [
      'an unknown job id',
      () => ({ id: '999999999', organizationId: shield.org }),
      'job_not_found',
      /^job 999999999 does not exist$/,
    ],
    [
      'a job id that is not a number',
      () => ({ id: '1; delete from shield_jobs', organizationId: shield.org }),
      'job_id_invalid',
      /^job id must be a positive whole number/,
    ],
    [
      'a negative job id',
      () => ({ id: '-1', organizationId: shield.org }),
      'job_id_invalid',
      /^job id must be a positive whole number/,
    ],
    [
      'a job id past bigint',
      () => ({ id: '9223372036854775808', organizationId: shield.org }),
      'job_id_invalid',
      /^job id must be/,
    ],
    [
      'an organization that is not a uuid',
      () => ({ id: '1', organizationId: "' or 1=1 --" }),
      'organization_id_invalid',
      /^organization id must be a uuid/,
    ],
  ])('%s', async (_what, reference, code, message) => {
    const before = await everything();
    const error = await caught(completeJob(shield.db, reference()));
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(await everything()).toEqual(before);
  });

  it("another organization's job: refused, the job stays running and the offender unflagged", async () => {
    const other = await shield.newOrganization();
    const who = shield.offender('twitter');
    await shield.moderate('twitter', 0.5, who, { org: other });
    const job = await runningJob(who, 'block_user', { platform_user_id: who.user }, other);
    const before = await everything();
    const error = await caught(completeJob(shield.db, { id: job.id, organizationId: shield.org }));
    expect(error).toMatchObject({
      code: 'job_other_organization',
      message: `job ${job.id} is not a job of organization ${shield.org}`,
    });
    expect(await everything()).toEqual(before);
  });

  it('a timed mute without a usable duration: completeJob refuses it, the worker fails it for good without calling the platform', async () => {
    const who = shield.offender('discord');
    for (const payload of [
      { platform_user_id: who.user },
      { platform_user_id: who.user, duration_seconds: 1.5 },
      { platform_user_id: who.user, duration_seconds: maxMuteSeconds + 1 },
      { duration_seconds: 60 },
    ]) {
      const job = await runningJob(who, 'timeout_member', payload);
      const before = await everything();
      expect(await caught(completeJob(shield.db, job))).toMatchObject({
        code: 'job_payload_invalid',
        message: expect.stringMatching(new RegExp(`^job ${job.id} (is a timed mute|has no platform_user_id)`)),
      });
      expect(await everything()).toEqual(before);
    }
    await shield.db.query("update public.shield_jobs set status = 'queued' where status = 'running'");
    const performed: string[] = [];
    const pass = await runWorkerPass(shield.db, { discord: { perform: async (job) => void performed.push(job.id) } });
    expect(pass).toMatchObject({ claimed: 4, done: 0, failed: 4 });
    expect(performed).toEqual([]);
    expect(await flagsOf(who)).toBeUndefined();
  });
});

describe('least privilege', () => {
  it('the worker role (a service_role member) claims, completes and fails with the grants it has; authenticated cannot complete a job', async () => {
    const password = randomBytes(18).toString('hex');
    await shield.db.query(`create role ${workerRole} login password '${password}' in role service_role`);
    const url = new URL(shield.database.url);
    url.username = workerRole;
    url.password = password;
    const worker = Database.connect(url.toString(), { max: 4 });
    try {
      const { who } = await claimedJobsFor('bluesky', ['block_user', 'mute_permanent']);
      await shield.db.query("update public.shield_jobs set status = 'queued', attempts = 0 where status = 'running'");
      const flaky: PlatformAdapter = {
        perform: async (job) => (job.action === 'mute_account' ? Promise.reject(new Error('bluesky 502')) : undefined),
      };
      expect(await runWorkerPass(worker, { bluesky: flaky })).toMatchObject({ claimed: 2, done: 1, retried: 1 });
      expect(await flagsOf(who)).toMatchObject({ is_blocked: true, is_muted_permanent: false });
    } finally {
      await worker.close();
    }

    const who = shield.offender('twitter');
    const job = await runningJob(who, 'block_user', { platform_user_id: who.user });
    const before = await everything();
    const asAuthenticated = shield.db.transaction(async (tx: Queryable) => {
      await tx.query("select set_config('role', 'authenticated', true)");
      return completeJob(tx, job);
    });
    expect(await caught(asAuthenticated)).toMatchObject({
      sqlState: '42501',
      message: expect.stringMatching(/permission denied for table shield_jobs/),
    });
    expect(await caught(asAuthenticated)).toBeInstanceOf(DatabaseError);
    expect(await everything()).toEqual(before);
  });
});
