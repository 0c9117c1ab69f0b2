import { afterAll, beforeAll } from 'vitest';
import { executeActionsFromTags, type ShieldDeps } from '../../src/shield/executeActions.js';
import type { ShieldResult } from '../../src/shield/result.js';
import { tagsFromToxicity } from '../../src/shield/tagDecision.js';
import { writerFor } from '../../src/shield/writers/index.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

/*
 * Shared fixtures of the Shield suites. The seed's "Run Shield E2E Tests" expects 12/12;
 * its twelve scenarios, each run against the real migration 024 functions, live in:
 *   shieldFlow.test.ts      1 toxic, 2 borderline, 3 benign content (complete moderation flow);
 *                           4 Twitter, 5 Discord (platform-specific actions);
 *                           plus the autoActions gate and the legacy writer
 *   shieldFailures.test.ts  6 platform API failure, 7 database failure, 8 malicious input;
 *                           plus the healthy worker and SKIP LOCKED
 *   shieldVolume.test.ts    9 high volume (100 concurrent calls), 10 latency and round trips,
 *                           11 audit trail, 12 behaviour tracking (escalation, M1/M3)
 * `vitest run -t 'Shield E2E'` runs all of them. shieldSanctions.test.ts covers what a
 * completed platform job leaves on the offender's row.
 */

/** The shape the behaviour checks read. */
export interface BehaviourRow {
  total_violations: number;
  severity_counts: Record<string, number>;
  strikes: number;
  actions_taken: { comment_id: string }[];
}

export interface Offender {
  readonly user: string;
  readonly platform: string;
  comment(): { id: string; platform: string; platform_user_id: string; platform_username: string };
}

/**
 * One migrated database per test file (created in beforeAll, dropped in afterAll),
 * an organization with auto actions on, and the helpers every Shield suite uses.
 * Call it at the top of a test file; read `db`, `org` and `deps` inside tests only.
 */
export function useShieldDatabase(options: { poolSize?: number } = {}): ShieldFixture {
  const fixture = new ShieldFixture();
  beforeAll(async () => fixture.open(options.poolSize ?? 20));
  afterAll(async () => fixture.close());
  return fixture;
}

export class ShieldFixture {
  #t: TestDatabase | undefined;
  #org: string | undefined;
  #sequence = 0;

  async open(poolSize: number): Promise<void> {
    this.#t = await freshDatabase({ poolSize });
    this.#org = await this.newOrganization();
  }

  async close(): Promise<void> {
    await this.#t?.drop();
  }

  get database(): TestDatabase {
    if (this.#t === undefined) throw new Error('the Shield database is opened in beforeAll: use it inside a test');
    return this.#t;
  }

  get db() {
    return this.database.db;
  }

  /** The default organization (auto actions on). */
  get org(): string {
    if (this.#org === undefined)
      throw new Error('the Shield organization is created in beforeAll: use it inside a test');
    return this.#org;
  }

  get deps(): ShieldDeps {
    return { db: this.db, writer: writerFor('rpc') };
  }

  async newOrganization(settings: object = { auto_actions: true }): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      'insert into public.organizations (name, settings) values ($1, $2) returning id',
      [`e2e ${++this.#sequence}`, JSON.stringify(settings)],
    );
    return rows[0]!.id;
  }

  /** A fresh offender per test keeps the scenarios independent inside one database. */
  offender(platform: string): Offender {
    const user = `u${++this.#sequence}`;
    let comments = 0;
    return {
      user,
      platform,
      comment: () => ({
        id: `${user}-c${++comments}`,
        platform,
        platform_user_id: user,
        platform_username: `${user}_name`,
      }),
    };
  }

  /** One comment of `who` at `toxicity`, with the tags the toxicity decides. */
  async moderate(
    platform: string,
    toxicity: number,
    who = this.offender(platform),
    options: { deps?: ShieldDeps; org?: string } = {},
  ) {
    const comment = who.comment();
    const result = await executeActionsFromTags(
      options.deps ?? this.deps,
      options.org ?? this.org,
      comment,
      tagsFromToxicity(toxicity),
      {
        toxicity_score: toxicity,
      },
    );
    return { result, comment, who };
  }

  async behaviourOf(platformUserId: string): Promise<BehaviourRow | undefined> {
    const { rows } = await this.db.query<BehaviourRow>(
      'select total_violations, severity_counts, strikes, actions_taken from public.user_behaviors where platform_user_id = $1',
      [platformUserId],
    );
    return rows[0];
  }

  /** Every audit row of a comment with its job, in tag order. */
  async auditOf(commentId: string): Promise<Record<string, unknown>[]> {
    const { rows } = await this.db.query<Record<string, unknown>>(
      `select a.action_tag, a.platform_action, a.status, a.reason, a.severity, a.offense_level, a.metadata,
              j.action as job_action, j.status as job_status, j.payload as job_payload
         from public.shield_actions a left join public.shield_jobs j on j.shield_action_id = a.id
        where a.comment_id = $1 order by a.action_tag`,
      [commentId],
    );
    return rows;
  }

  /** Row counts of every table Shield writes: "nothing written" compares two of these. */
  async tableCounts(): Promise<{ behaviours: number; actions: number; jobs: number }> {
    const { rows } = await this.db.query<{ behaviours: number; actions: number; jobs: number }>(
      `select (select count(*)::int from public.user_behaviors) as behaviours,
              (select count(*)::int from public.shield_actions) as actions,
              (select count(*)::int from public.shield_jobs) as jobs`,
    );
    return rows[0]!;
  }
}

/** tag → [status, platform action], for comparing a whole call at a glance. */
export const outcomes = (result: ShieldResult) =>
  Object.fromEntries(result.actions.map((a) => [a.tag, [a.status, a.platformAction]]));
