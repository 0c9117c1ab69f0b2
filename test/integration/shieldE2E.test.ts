import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.js';
import { executeActionsFromTags, type ShieldDeps } from '../../src/shield/executeActions.js';
import { claimJobs } from '../../src/shield/jobs/jobQueue.js';
import { type PlatformAdapter, runWorkerPass } from '../../src/shield/jobs/worker.js';
import type { ShieldResult } from '../../src/shield/result.js';
import { tagsFromToxicity } from '../../src/shield/tagDecision.js';
import { writerFor } from '../../src/shield/writers/index.js';
import type { BehaviourWriter } from '../../src/shield/writers/types.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

// The seed's Shield E2E suite (12 scenarios) plus the autoActions gate and the legacy writer,
// each against the real migration 024 functions on a real PostgreSQL.
let t: TestDatabase;
let org: string;
let deps: ShieldDeps;
let sequence = 0;

beforeAll(async () => {
  t = await freshDatabase({ poolSize: 20 });
  org = await newOrganization();
  deps = { db: t.db, writer: writerFor('rpc') };
});
afterAll(async () => t?.drop());

async function newOrganization(settings: object = { auto_actions: true }): Promise<string> {
  const { rows } = await t.db.query<{ id: string }>('insert into public.organizations (name, settings) values ($1, $2) returning id', [
    `e2e ${++sequence}`,
    JSON.stringify(settings),
  ]);
  return rows[0]!.id;
}

/** A fresh offender per test keeps the scenarios independent inside one database. */
function offender(platform: string) {
  const user = `u${++sequence}`;
  let comments = 0;
  return {
    user,
    comment: () => ({ id: `${user}-c${++comments}`, platform, platform_user_id: user, platform_username: `${user}_name` }),
  };
}

async function moderate(platform: string, toxicity: number, who = offender(platform), options: { deps?: ShieldDeps; org?: string } = {}) {
  const comment = who.comment();
  const result = await executeActionsFromTags(options.deps ?? deps, options.org ?? org, comment, tagsFromToxicity(toxicity), {
    toxicity_score: toxicity,
  });
  return { result, comment, who };
}

async function behaviourOf(platformUserId: string) {
  const { rows } = await t.db.query<{ total_violations: number; severity_counts: Record<string, number>; strikes: number; actions_taken: { comment_id: string }[] }>(
    'select total_violations, severity_counts, strikes, actions_taken from public.user_behaviors where platform_user_id = $1',
    [platformUserId],
  );
  return rows[0];
}

async function auditOf(commentId: string) {
  const { rows } = await t.db.query<Record<string, unknown>>(
    `select a.action_tag, a.platform_action, a.status, a.reason, a.severity, a.offense_level, a.metadata,
            j.action as job_action, j.status as job_status, j.payload as job_payload
       from public.shield_actions a left join public.shield_jobs j on j.shield_action_id = a.id
      where a.comment_id = $1 order by a.action_tag`,
    [commentId],
  );
  return rows;
}

async function tableCounts() {
  const { rows } = await t.db.query<{ behaviours: number; actions: number; jobs: number }>(
    `select (select count(*)::int from public.user_behaviors) as behaviours,
            (select count(*)::int from public.shield_actions) as actions,
            (select count(*)::int from public.shield_jobs) as jobs`,
  );
  return rows[0]!;
}

const outcomes = (result: ShieldResult) => Object.fromEntries(result.actions.map((a) => [a.tag, [a.status, a.platformAction]]));

describe('complete moderation flow', () => {
  it('toxic content (0.97): hide, block, report, two strikes, reincidence — jobs queued, nothing called inline', async () => {
    const { result, comment, who } = await moderate('twitter', 0.97);
    expect(result).toMatchObject({ success: true, severity: 'critical', offenseLevel: 'first', failedActions: [], roundTrips: 3 });
    expect(result.behaviour).toMatchObject({ userId: who.user, totalViolations: 1, severityCounts: { critical: 1 } });
    expect(result.strikes).toMatchObject({ strikes: 2 });
    expect(outcomes(result)).toEqual({
      hide_comment: ['queued', 'hide_reply'],
      block_user: ['queued', 'block_user'],
      report_to_platform: ['queued', 'report_spam'],
      add_strike_2: ['recorded', null],
      // critical × first → block, which block_user already queues: recorded, not called twice.
      check_reincidence: ['recorded', 'block_user'],
    });
    const audit = await auditOf(comment.id);
    expect(audit.filter((row) => row.job_status === 'queued').map((row) => row.job_action).sort()).toEqual(['block_user', 'hide_reply', 'report_spam']);
    expect(await behaviourOf(who.user)).toMatchObject({ total_violations: 1, strikes: 2 });
  });

  it('borderline content (0.5): tracked, and the reincidence check warns a first offender', async () => {
    const { result, comment } = await moderate('discord', 0.5);
    expect(result).toMatchObject({ success: true, severity: 'medium', offenseLevel: 'first', roundTrips: 2 });
    expect(outcomes(result)).toEqual({ check_reincidence: ['queued', 'send_warning_dm'] });
    expect(await auditOf(comment.id)).toMatchObject([{ metadata: { escalation: 'warn' }, job_status: 'queued' }]);
  });

  it('benign content (0.1): no tags, no violation, no round trip', async () => {
    const before = await tableCounts();
    const { result, who } = await moderate('twitch', 0.1);
    expect(result).toMatchObject({ success: true, severity: 'low', behaviour: null, actions: [], roundTrips: 0 });
    expect(await behaviourOf(who.user)).toBeUndefined();
    expect(await tableCounts()).toEqual(before);
  });
});

describe('platform-specific actions', () => {
  const tags = ['hide_comment', 'mute_temp', 'mute_permanent', 'block_user', 'report_user'];

  it('Twitter: hide_reply, no timed mute (skipped with a reason), mute_user, block_user, report_spam', async () => {
    const comment = offender('twitter').comment();
    const result = await executeActionsFromTags(deps, org, comment, tags, { toxicity_score: 0.9 });
    expect(outcomes(result)).toEqual({
      hide_comment: ['queued', 'hide_reply'],
      mute_temp: ['skipped', null],
      mute_permanent: ['queued', 'mute_user'],
      block_user: ['queued', 'block_user'],
      report_user: ['queued', 'report_spam'],
    });
    expect(result.actions.find((a) => a.tag === 'mute_temp')?.reason).toMatch(/X mutes have no duration/);
    expect(result.success).toBe(true); // skipped is an answer, not a failure
  });

  it('Discord: delete_message, timeout_member with a duration, add_muted_role, ban_member, no report API', async () => {
    const comment = offender('discord').comment();
    const result = await executeActionsFromTags(deps, org, comment, tags, { toxicity_score: 0.9 });
    expect(outcomes(result)).toEqual({
      hide_comment: ['queued', 'delete_message'],
      mute_temp: ['queued', 'timeout_member'],
      mute_permanent: ['queued', 'add_muted_role'],
      block_user: ['queued', 'ban_member'],
      report_user: ['skipped', null],
    });
    const timeout = (await auditOf(comment.id)).find((row) => row.job_action === 'timeout_member');
    expect(timeout?.job_payload).toMatchObject({ comment_id: comment.id, platform_user_id: comment.platform_user_id, duration_seconds: 86_400 });
  });
});

describe('failures', () => {
  it('platform API failure: the job is retried, then failed with the error kept; behaviour and audit untouched', async () => {
    await t.db.query("update public.shield_jobs set status = 'done'"); // earlier scenarios' jobs are not this worker's concern
    const who = offender('discord');
    const result = await executeActionsFromTags(deps, org, who.comment(), ['hide_comment'], { toxicity_score: 0.9 });
    const behaviour = await behaviourOf(who.user);
    const failing: PlatformAdapter = { perform: async () => Promise.reject(new Error('discord 503: service unavailable')) };
    const retry = { maxAttempts: 2, backoffSeconds: 0 };

    expect(await runWorkerPass(t.db, { discord: failing }, { retry })).toMatchObject({ claimed: 1, retried: 1, failed: 0 });
    expect(await runWorkerPass(t.db, { discord: failing }, { retry })).toMatchObject({ claimed: 1, retried: 0, failed: 1 });
    const { rows } = await t.db.query('select status, attempts, last_error from public.shield_jobs where id = $1', [result.actions[0]!.jobId]);
    expect(rows).toEqual([{ status: 'failed', attempts: 2, last_error: 'discord 503: service unavailable' }]);
    expect(await behaviourOf(who.user)).toEqual(behaviour);
    expect(await runWorkerPass(t.db, { discord: failing })).toMatchObject({ claimed: 0 });
  });

  it('the worker completes jobs on a healthy adapter, and concurrent claims never share a job (SKIP LOCKED)', async () => {
    await t.db.query("update public.shield_jobs set status = 'done' where status = 'queued'");
    // 0.9 on a first offender: hide_reply + the escalation (critical × first → block_user), 2 jobs each.
    for (let i = 0; i < 6; i++) await moderate('twitter', 0.9);
    const [a, b] = await Promise.all([claimJobs(t.db, 4), claimJobs(t.db, 4)]);
    const ids = [...a, ...b].map((job) => job.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(8);
    await t.db.query("update public.shield_jobs set status = 'queued', attempts = 0 where status = 'running'");
    const performed: string[] = [];
    const ok: PlatformAdapter = { perform: async (job) => void performed.push(job.action) };
    const pass = await runWorkerPass(t.db, { twitter: ok }, { limit: 50 });
    expect(pass).toMatchObject({ claimed: 12, done: 12 });
    expect(performed.sort()).toEqual([...Array(6).fill('block_user'), ...Array(6).fill('hide_reply')]);
  });

  it('database failure in the batched insert: nothing half-written, the failure is reported, the violation stays counted once', async () => {
    await t.db.query(`create function shield_e2e_fail_jobs() returns trigger language plpgsql as $$
      begin if new.payload ->> 'comment_id' like 'explode-%' then raise exception 'disk full (simulated)'; end if; return new; end $$`);
    await t.db.query('create trigger fail_jobs before insert on public.shield_jobs for each row execute function shield_e2e_fail_jobs()');
    try {
      const before = await tableCounts();
      const comment = { id: 'explode-1', platform: 'twitter', platform_user_id: 'explode-user' };
      const result = await executeActionsFromTags(deps, org, comment, ['hide_comment', 'require_manual_review'], { toxicity_score: 0.9 });
      expect(result.success).toBe(false);
      expect(result.failedActions.map((a) => a.tag)).toEqual(['hide_comment', 'require_manual_review']);
      expect(result.failedActions[0]!.reason).toMatch(/^actions not written \(the violation is counted, total 1\): disk full \(simulated\)/);
      // shield_actions rows precede the failing shield_jobs insert in the same statement: none survive.
      expect(await auditOf(comment.id)).toEqual([]);
      expect(await tableCounts()).toEqual({ ...before, behaviours: before.behaviours + 1 });
      expect((await behaviourOf('explode-user'))?.actions_taken.map((e) => e.comment_id)).toEqual(['explode-1']);
    } finally {
      await t.db.query('drop trigger fail_jobs on public.shield_jobs; drop function shield_e2e_fail_jobs()');
    }
  });

  it('database failure in the atomic function: no action row orphaned, no job queued', async () => {
    await t.db.query(`create function shield_e2e_fail_behaviour() returns trigger language plpgsql as $$
      begin raise exception 'out of shared memory (simulated)'; end $$`);
    await t.db.query(`create trigger fail_behaviour before insert or update on public.user_behaviors for each row
      when (new.platform_user_id = 'doomed') execute function shield_e2e_fail_behaviour()`);
    try {
      const before = await tableCounts();
      const result = await executeActionsFromTags(deps, org, { id: 'd1', platform: 'twitch', platform_user_id: 'doomed' }, ['hide_comment', 'add_strike_1'], {
        toxicity_score: 0.9,
      });
      expect(result).toMatchObject({ success: false, behaviour: null, roundTrips: 1 });
      expect(result.failedActions).toEqual([
        { tag: 'hide_comment', platformAction: null, status: 'failed', reason: 'behaviour not recorded, no action taken: out of shared memory (simulated)' },
        expect.objectContaining({ tag: 'add_strike_1', status: 'failed' }),
      ]);
      expect(await tableCounts()).toEqual(before);
    } finally {
      await t.db.query('drop trigger fail_behaviour on public.user_behaviors; drop function shield_e2e_fail_behaviour()');
    }
  });

  it('an unreachable database and an unknown organization both come back as failed results, never as throws', async () => {
    const down = Database.connect('postgres://shield:s3cret-pw@127.0.0.1:1/nowhere', { max: 1 });
    try {
      const result = await executeActionsFromTags({ db: down, writer: writerFor('rpc') }, org, offender('twitter').comment(), ['hide_comment'], {
        toxicity_score: 0.9,
      });
      expect(result.success).toBe(false);
      expect(result.failedActions[0]!.reason).toMatch(/could not talk to the database/);
      expect(JSON.stringify(result)).not.toContain('s3cret-pw');
    } finally {
      await down.close();
    }
    const before = await tableCounts();
    const missing = await executeActionsFromTags(deps, '00000000-0000-0000-0000-0000000000ff', offender('twitter').comment(), ['hide_comment'], {
      toxicity_score: 0.9,
    });
    expect(missing.failedActions[0]!.reason).toBe(
      'behaviour not recorded, no action taken: organization 00000000-0000-0000-0000-0000000000ff does not exist',
    );
    expect(await tableCounts()).toEqual(before);
  });
});

describe('malicious input', () => {
  const good = { id: 'm1', platform: 'twitter', platform_user_id: 'm-user' };
  it.each([
    ['an injection in the comment id', org, { ...good, id: "1'); delete from shield_actions; --" }, ['hide_comment'], { toxicity_score: 0.9 }],
    ['an injection in the user id', org, { ...good, platform_user_id: "x' or '1'='1" }, ['hide_comment'], { toxicity_score: 0.9 }],
    ['an injection as the organization', "' or 1=1 --", good, ['hide_comment'], { toxicity_score: 0.9 }],
    ['an oversized comment', org, { ...good, text: 'a'.repeat(100_001) }, ['hide_comment'], { toxicity_score: 0.9 }],
    ['oversized metadata', org, good, ['hide_comment'], { toxicity_score: 0.9, blob: 'b'.repeat(50_000) }],
    ['an unknown tag', org, good, ['hide_comment', 'drop_database'], { toxicity_score: 0.9 }],
    ['tags of the wrong type', org, good, 'hide_comment', { toxicity_score: 0.9 }],
    ['a toxicity of the wrong type', org, good, ['hide_comment'], { toxicity_score: '0.9; drop table x' }],
    ['no comment at all', org, null, ['hide_comment'], { toxicity_score: 0.9 }],
  ])('%s → failed result, nothing written, no round trip', async (_what, o, comment, tags, metadata) => {
    const before = await tableCounts();
    const result = await executeActionsFromTags(deps, o as string, comment as never, tags as never, metadata);
    expect(result).toMatchObject({ success: false, roundTrips: 0, actions: [{ tag: 'input', status: 'failed' }] });
    expect(result.failedActions[0]!.reason).toMatch(/^request refused: /);
    expect(await tableCounts()).toEqual(before);
  });

  it('hostile text and metadata with valid ids are stored verbatim as data, never run', async () => {
    const hostile = "'); drop table public.shield_actions; --";
    const comment = { ...offender('bluesky').comment(), text: hostile };
    const result = await executeActionsFromTags(deps, org, comment, ['hide_comment'], { toxicity_score: 0.9, note: hostile });
    expect(result.success).toBe(true);
    expect((await auditOf(comment.id))[0]).toMatchObject({ platform_action: 'hide_reply', metadata: { request: { note: hostile } } });
  });
});

describe('volume and latency', () => {
  it('100 concurrent calls on one offender: exactly 100 violations, 100 strikes, 300 audit rows', async () => {
    const who = offender('discord');
    const tags = ['hide_comment', 'add_strike_1', 'check_reincidence'];
    const results = await Promise.all(
      Array.from({ length: 100 }, () => executeActionsFromTags(deps, org, who.comment(), tags, { toxicity_score: 0.9 })),
    );
    expect(results.every((r) => r.success)).toBe(true);
    // Every call saw its own count: the increments were serialised, none lost.
    expect(results.map((r) => r.behaviour!.totalViolations).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await behaviourOf(who.user)).toMatchObject({ total_violations: 100, strikes: 100, severity_counts: { critical: 100 } });
    const { rows } = await t.db.query<{ n: number }>('select count(*)::int as n from public.shield_actions where platform_user_id = $1', [who.user]);
    expect(rows[0]!.n).toBe(300);
  });

  it('latency and round trips per call stay sane (figures printed for docs/shield-service.md)', async () => {
    const figures: Record<string, { roundTrips: number; p50: number; p95: number }> = {};
    for (const [name, tags] of Object.entries({
      track: ['check_reincidence'],
      hide: ['hide_comment', 'check_reincidence'],
      hideStrike: ['hide_comment', 'add_strike_1', 'check_reincidence'],
      block: ['hide_comment', 'block_user', 'report_to_platform', 'add_strike_2', 'check_reincidence'],
    })) {
      for (const writerName of ['rpc', 'legacy'] as const) {
        const who = offender('twitter');
        const latencies: number[] = [];
        const trips = new Set<number>();
        for (let i = 0; i < 30; i++) {
          const r = await executeActionsFromTags({ db: t.db, writer: writerFor(writerName) }, org, who.comment(), tags, { toxicity_score: 0.9 });
          latencies.push(r.latencyMs);
          trips.add(r.roundTrips);
        }
        latencies.sort((a, b) => a - b);
        expect(trips.size).toBe(1);
        figures[`${writerName} ${name} (${tags.length} tags)`] = { roundTrips: [...trips][0]!, p50: latencies[14]!, p95: latencies[28]! };
      }
    }
    console.info(JSON.stringify(figures, null, 2));
    expect(figures['rpc track (1 tags)']!.roundTrips).toBe(2);
    expect(figures['rpc hide (2 tags)']!.roundTrips).toBe(2);
    expect(figures['rpc hideStrike (3 tags)']!.roundTrips).toBe(3);
    expect(figures['legacy hide (2 tags)']!.roundTrips).toBe(3);
    for (const figure of Object.values(figures)) expect(figure.p95).toBeLessThan(1000);
  });
});

describe('audit trail and behaviour tracking', () => {
  it('every action leaves a row: tag, platform action, status, reason, severity, offence level, metadata, job link', async () => {
    const comment = offender('youtube').comment();
    await executeActionsFromTags(deps, org, comment, ['hide_comment', 'mute_temp', 'add_strike_1', 'require_manual_review'], {
      toxicity_score: 0.88,
      model: 'perspective-v1',
    });
    const common = { severity: 'critical', offense_level: 'first' };
    expect(await auditOf(comment.id)).toEqual([
      expect.objectContaining({ ...common, action_tag: 'add_strike_1', status: 'recorded', platform_action: null, metadata: expect.objectContaining({ strikes_after: 1 }) }),
      expect.objectContaining({ ...common, action_tag: 'hide_comment', status: 'queued', platform_action: 'reject_comment', job_action: 'reject_comment', job_status: 'queued' }),
      expect.objectContaining({ ...common, action_tag: 'mute_temp', status: 'skipped', reason: expect.stringMatching(/YouTube has no timed mute/), job_action: null }),
      expect.objectContaining({ ...common, action_tag: 'require_manual_review', status: 'recorded', reason: 'waiting for a moderator' }),
    ]);
    expect((await auditOf(comment.id))[1]!.metadata).toEqual({
      request: { toxicity_score: 0.88, model: 'perspective-v1' },
      writer: 'rpc',
      moderation_action: 'hide_content',
    });
  });

  it('a repeat offender climbs the offence levels and the escalation matrix answers each step', async () => {
    const who = offender('discord');
    const seen: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const { result } = await moderate('discord', 0.5, who); // medium, check_reincidence only
      seen.push(`${result.behaviour!.totalViolations}:${result.offenseLevel}:${result.actions[0]!.platformAction}`);
    }
    expect(seen).toEqual([
      '1:first:send_warning_dm',
      '2:repeat:timeout_member',
      '3:repeat:timeout_member',
      '4:repeat:timeout_member',
      '5:persistent:add_muted_role',
      '6:persistent:add_muted_role',
      '7:persistent:add_muted_role',
      '8:persistent:add_muted_role',
      '9:persistent:add_muted_role',
      '10:dangerous:ban_member',
    ]);
    expect(await behaviourOf(who.user)).toMatchObject({ total_violations: 10, severity_counts: { low: 0, medium: 10, high: 0, critical: 0 } });
  });

  it('M1 and M3: one recordViolation per call, then the strikes in order, whatever order the tags came in', async () => {
    const calls: string[] = [];
    const rpc = writerFor('rpc');
    const spy: BehaviourWriter = {
      name: 'rpc',
      recordViolation: (db, who, violation) => (calls.push('recordViolation'), rpc.recordViolation(db, who, violation)),
      addStrikes: (db, who, n, reason) => (calls.push(`addStrikes(${n})`), rpc.addStrikes(db, who, n, reason)),
    };
    const tags = ['check_reincidence', 'add_strike_2', 'hide_comment', 'add_strike_1'];
    const result = await executeActionsFromTags({ db: t.db, writer: spy }, org, offender('twitch').comment(), tags, { toxicity_score: 0.99 });
    expect(calls).toEqual(['recordViolation', 'addStrikes(1)', 'addStrikes(2)']);
    expect(result).toMatchObject({ roundTrips: 4, strikes: { strikes: 3 }, offenseLevel: 'repeat' }); // 3 strikes reach 'repeat'
  });
});

describe('autoActions gate and the legacy writer', () => {
  it('auto_actions = false: actions recorded with a reason, no job queued, no extra round trip; switching it on applies at once', async () => {
    const gated = await newOrganization({ auto_actions: false });
    const who = offender('discord');
    const off = await moderate('discord', 0.9, who, { org: gated });
    expect(off.result).toMatchObject({ success: true, roundTrips: 3 });
    expect(off.result.actions.filter((a) => a.platformAction === 'delete_message')).toEqual([
      expect.objectContaining({ status: 'recorded', reason: 'auto actions are off for this organization' }),
    ]);
    expect((await auditOf(off.comment.id)).every((row) => row.job_action === null)).toBe(true);
    await t.db.query(`update public.organizations set settings = '{"auto_actions": true}' where id = $1`, [gated]);
    const on = await moderate('discord', 0.9, who, { org: gated });
    expect(on.result.actions.find((a) => a.tag === 'hide_comment')).toMatchObject({ status: 'queued', platformAction: 'delete_message' });
  });

  it('the legacy writer gives the same results sequentially (it only costs more round trips)', async () => {
    const strip = (r: ShieldResult) => ({
      ...r,
      latencyMs: 0,
      roundTrips: 0,
      behaviour: { ...r.behaviour, userId: '', lastViolationAt: '' },
      strikes: r.strikes && { ...r.strikes, userId: '', lastStrikeAt: '' },
      commentId: '',
      actions: r.actions.map(({ actionId: _a, jobId: _j, ...rest }) => rest),
    });
    const rpcWho = offender('twitter');
    const legacyWho = offender('twitter');
    const legacyDeps = { db: t.db, writer: writerFor('legacy') };
    for (const toxicity of [0.4, 0.9, 0.97, 0.5, 0.86, 0.99, 0.6]) {
      const viaRpc = await moderate('twitter', toxicity, rpcWho);
      const viaLegacy = await moderate('twitter', toxicity, legacyWho, { deps: legacyDeps });
      expect(strip(viaLegacy.result)).toEqual(strip(viaRpc.result));
      expect(viaLegacy.result.roundTrips).toBeGreaterThan(viaRpc.result.roundTrips);
    }
    const [a, b] = [await behaviourOf(rpcWho.user), await behaviourOf(legacyWho.user)];
    expect({ ...b, actions_taken: [] }).toEqual({ ...a, actions_taken: [] });
  });
});
