/** The platforms Shield moderates; a comment from anywhere else is refused at the door. */
export const platforms = ['twitter', 'discord', 'twitch', 'youtube', 'instagram', 'facebook', 'bluesky'] as const;

export type Platform = (typeof platforms)[number];

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (platforms as readonly string[]).includes(value);
}
