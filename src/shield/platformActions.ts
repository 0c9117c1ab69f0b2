import type { EscalationAction } from './escalation.js';
import type { Platform } from './platforms.js';
import type { ModerationAction } from './tags.js';

/** A platform's name for an action, or why the platform cannot do it. */
export type PlatformActionResolution =
  | { readonly supported: true; readonly platformAction: string }
  | { readonly supported: false; readonly reason: string };

/** A cell the platform cannot perform: the reason ends up in shield_actions.reason. */
interface Unsupported {
  readonly unsupported: string;
}

/**
 * Each platform's own name for each moderation action (the name the platform
 * adapter dispatches on), following the platforms' public moderation APIs.
 * Where an API has no such operation the cell says why, and the action is
 * 'skipped' rather than faked with something harsher or milder.
 */
export const platformActionTable: Readonly<Record<Platform, Readonly<Record<ModerationAction, string | Unsupported>>>> =
  {
    twitter: {
      hide_content: 'hide_reply',
      block_user: 'block_user',
      mute_temp: { unsupported: 'X mutes have no duration' },
      mute_permanent: 'mute_user',
      warn_user: { unsupported: 'X has no warning API' },
      report_user: 'report_spam',
      report_content: 'report_spam',
    },
    discord: {
      hide_content: 'delete_message',
      block_user: 'ban_member',
      mute_temp: 'timeout_member',
      mute_permanent: 'add_muted_role',
      warn_user: 'send_warning_dm',
      report_user: { unsupported: 'Discord has no report API for bots' },
      report_content: { unsupported: 'Discord has no report API for bots' },
    },
    twitch: {
      hide_content: 'delete_chat_message',
      block_user: 'ban_user',
      mute_temp: 'timeout_user',
      mute_permanent: { unsupported: 'Twitch has no permanent mute short of a ban' },
      warn_user: 'warn_chat_user',
      report_user: { unsupported: 'Twitch has no report API' },
      report_content: { unsupported: 'Twitch has no report API' },
    },
    youtube: {
      hide_content: 'reject_comment',
      block_user: 'ban_author',
      mute_temp: { unsupported: 'YouTube has no timed mute for commenters' },
      mute_permanent: 'hide_user_from_channel',
      warn_user: { unsupported: 'YouTube has no warning API' },
      report_user: { unsupported: 'YouTube has no report API' },
      report_content: 'mark_as_spam',
    },
    instagram: {
      hide_content: 'hide_comment',
      block_user: { unsupported: 'the Instagram Graph API cannot block accounts' },
      mute_temp: { unsupported: 'the Instagram Graph API has no mute' },
      mute_permanent: { unsupported: 'the Instagram Graph API has no mute' },
      warn_user: { unsupported: 'Instagram has no warning API' },
      report_user: { unsupported: 'Instagram has no report API' },
      report_content: { unsupported: 'Instagram has no report API' },
    },
    facebook: {
      hide_content: 'hide_comment',
      block_user: 'ban_user',
      mute_temp: { unsupported: 'Facebook Pages have no timed mute' },
      mute_permanent: { unsupported: 'Facebook Pages have no mute short of a ban' },
      warn_user: { unsupported: 'Facebook has no warning API' },
      report_user: { unsupported: 'Facebook has no report API' },
      report_content: { unsupported: 'Facebook has no report API' },
    },
    bluesky: {
      hide_content: 'hide_reply',
      block_user: 'block_account',
      mute_temp: { unsupported: 'Bluesky mutes have no duration' },
      mute_permanent: 'mute_account',
      warn_user: { unsupported: 'Bluesky has no warning API' },
      report_user: 'create_report',
      report_content: 'create_report',
    },
  };

/**
 * @example
 * platformActionFor('discord', 'mute_temp'); // { supported: true, platformAction: 'timeout_member' }
 */
export function platformActionFor(platform: Platform, action: ModerationAction): PlatformActionResolution {
  const cell = platformActionTable[platform][action];
  return typeof cell === 'string'
    ? { supported: true, platformAction: cell }
    : { supported: false, reason: `${action} is not possible on ${platform}: ${cell.unsupported}` };
}

/** The moderation action an escalation response needs; null for 'escalate', which goes to a human. */
export const escalationModerationAction: Readonly<Record<EscalationAction, ModerationAction | null>> = {
  warn: 'warn_user',
  mute_temp: 'mute_temp',
  mute_permanent: 'mute_permanent',
  block: 'block_user',
  report: 'report_user',
  escalate: null,
};
