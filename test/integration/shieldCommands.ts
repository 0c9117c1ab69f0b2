/**
 * The arguments of `shipcheck shield concurrent` (after `shield`): `actions` actions by
 * `userId` on `platform`, then `more` flags.
 *
 * @example
 * await cli(...concurrentArgs('legacy_cli', 200, 'twitter', '--writer', 'legacy', '--reset'));
 */
export function concurrentArgs(userId: string, actions: number, platform: string, ...more: string[]): string[] {
  return ['concurrent', '--user-id', userId, '--actions', String(actions), '--platform', platform, ...more];
}

/** The arguments of `shipcheck shield verify-count` (after `shield`) for `userId` on `platform`, then `more` flags. */
export function verifyCountArgs(userId: string, platform: string, expected: number, ...more: string[]): string[] {
  return ['verify-count', '--user-id', userId, '--platform', platform, '--expected-count', String(expected), ...more];
}
