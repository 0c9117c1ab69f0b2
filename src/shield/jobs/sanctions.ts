import { UsageError } from '../../errors.js';
import { platformActionTable } from '../platformActions.js';
import { platforms } from '../platforms.js';
import type { ModerationAction } from '../tags.js';

/** What a completed platform job leaves on the offender's user_behaviors row. */
export type Sanction = 'block' | 'mute_permanent' | 'mute_temp';

/**
 * The moderation actions that sanction the offender; hiding, warning and
 * reporting act on content or inform someone, and leave the flags alone.
 */
export const moderationSanctions: Readonly<Record<ModerationAction, Sanction | null>> = {
  hide_content: null,
  block_user: 'block',
  mute_temp: 'mute_temp',
  mute_permanent: 'mute_permanent',
  warn_user: null,
  report_user: null,
  report_content: null,
};

/**
 * Discord's timeout allows up to 28 days, the longest timed mute of any platform
 * in the table; a longer duration in a payload is a bug, not a sanction.
 */
export const maxMuteSeconds = 28 * 24 * 60 * 60;

/**
 * platform → the platform's action name → sanction, derived from the platform
 * action table so a renamed platform action cannot silently stop setting a flag.
 * complete_job.sql receives it as a bound parameter and looks the job's own
 * (platform, action) up in it.
 */
export const platformSanctions: Readonly<Record<string, Readonly<Record<string, Sanction>>>> = Object.freeze(
  Object.fromEntries(
    platforms.map((platform) => {
      const names: Record<string, Sanction> = {};
      for (const [action, cell] of Object.entries(platformActionTable[platform]) as [ModerationAction, unknown][]) {
        const sanction = moderationSanctions[action];
        if (sanction === null || typeof cell !== 'string') continue;
        // One name for two sanctions would make the flags depend on table order.
        if (names[cell] !== undefined && names[cell] !== sanction) {
          throw new Error(`${platform} action ${cell} stands for both ${names[cell]} and ${sanction}`);
        }
        names[cell] = sanction;
      }
      return [platform, Object.freeze(names)];
    }),
  ),
);

/** The sanction a job applies on completion, or null for a job that sanctions nobody. */
export function sanctionFor(platform: string, action: string): Sanction | null {
  // Own keys only: 'constructor' or '__proto__' from a job row must not reach Object.prototype.
  const names = Object.hasOwn(platformSanctions, platform) ? platformSanctions[platform]! : {};
  return Object.hasOwn(names, action) ? names[action]! : null;
}

/** The job fields a sanction check reads; a ClaimedJob has them all. */
export interface SanctionedJob {
  readonly id: string;
  readonly platform: string;
  readonly action: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * Refuses, before the platform is called, a sanction job whose completion could
 * not be recorded: complete_job.sql applies the same rules and would refuse it
 * after the platform had already acted.
 *
 * @example
 * assertSanctionRecordable({ id: '7', platform: 'discord', action: 'timeout_member', payload: { platform_user_id: '42' } });
 * // UsageError: job 7 (discord timeout_member) is a timed mute without a valid duration_seconds …
 */
export function assertSanctionRecordable(job: SanctionedJob): void {
  const sanction = sanctionFor(job.platform, job.action);
  if (sanction === null) return;
  const what = `job ${job.id} (${job.platform} ${job.action})`;
  const userId = job.payload.platform_user_id;
  if (typeof userId !== 'string' || userId.length < 1 || userId.length > 256) {
    throw new UsageError(
      `${what} has no platform_user_id of 1 to 256 characters in its payload, so its sanction has no offender`,
      {
        code: 'job_payload_invalid',
      },
    );
  }
  const duration = job.payload.duration_seconds;
  if (
    sanction === 'mute_temp' &&
    !(Number.isInteger(duration) && (duration as number) >= 1 && (duration as number) <= maxMuteSeconds)
  ) {
    throw new UsageError(
      `${what} is a timed mute without a valid duration_seconds (a whole number from 1 to ${maxMuteSeconds})`,
      {
        code: 'job_payload_invalid',
        detail: `got ${JSON.stringify(duration)?.slice(0, 64) ?? 'nothing'}`,
      },
    );
  }
}
