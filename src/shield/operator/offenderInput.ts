import { UsageError } from '../../errors.js';

/** Limits shared by the library functions and the CLI flags that feed them. */
export const limits = {
  userIdMaxLength: 256,
  maxActions: 10_000,
  maxConnections: 100,
} as const;

// Lower-case platform keys as Shield names them (twitter, discord, youtube, …); user_behaviors allows 64 characters.
const platformPattern = /^[a-z][a-z0-9_-]{0,63}$/;
// Control characters in an id are a pasting accident, never a real platform user id.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const controlCharacters = /[\u0000-\u001f\u007f]/;

/** Returns a message saying what is wrong with a platform user id, or undefined if it is usable. */
export function userIdProblem(userId: string): string | undefined {
  if (userId.trim().length === 0) return 'user id must not be empty';
  if (userId.length > limits.userIdMaxLength) {
    return `user id must be at most ${limits.userIdMaxLength} characters, got ${userId.length}`;
  }
  if (controlCharacters.test(userId)) return 'user id must not contain control characters';
  return undefined;
}

export function platformProblem(platform: string): string | undefined {
  if (!platformPattern.test(platform)) {
    return `platform must be a lower-case name like "twitter" (letters, digits, _ or -, at most 64), got "${platform}"`;
  }
  return undefined;
}

/** Throws a UsageError naming the first problem with an offender's platform and id. */
export function assertOffenderInput(input: { platform: string; platformUserId: string }): void {
  const problem = platformProblem(input.platform) ?? userIdProblem(input.platformUserId);
  if (problem !== undefined) throw new UsageError(problem);
}

export function assertWholeNumberInRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be a whole number between ${min} and ${max}, got ${value}`);
  }
}
