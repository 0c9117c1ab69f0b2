import { UsageError } from '../../errors.js';
import { type ApiAuth, minimumTokenLength } from './auth.js';
import { isLoopbackHost } from './loopback.js';

export interface AuthSettings {
  /** The environment variable that holds the token (a flag would put it in `ps` and shell history). */
  readonly tokenEnv: string;
  readonly insecureNoAuth: boolean;
  readonly host: string;
}

/**
 * Decides how the server authenticates, or refuses to start: no token is only
 * allowed with --insecure-no-auth on a loopback address, where nobody else can connect.
 */
export function resolveAuth(settings: AuthSettings, env: NodeJS.ProcessEnv): ApiAuth {
  if (settings.insecureNoAuth) {
    if (!isLoopbackHost(settings.host)) {
      throw new UsageError(`--insecure-no-auth is only allowed on a loopback address, not on ${settings.host}`, {
        hint: 'use --host 127.0.0.1, or set a token and drop --insecure-no-auth',
      });
    }
    return { kind: 'none' };
  }
  const token = env[settings.tokenEnv];
  if (token === undefined || token.trim() === '') {
    throw new UsageError(
      `refusing to start without an API token: the environment variable ${settings.tokenEnv} is not set`,
      {
        hint: `export ${settings.tokenEnv}=$(openssl rand -hex 32) (or, on 127.0.0.1 only, pass --insecure-no-auth)`,
      },
    );
  }
  if (token.trim().length < minimumTokenLength) {
    throw new UsageError(
      `the API token in ${settings.tokenEnv} is too short: use at least ${minimumTokenLength} characters`,
      {
        hint: 'openssl rand -hex 32 makes a good one',
      },
    );
  }
  return { kind: 'bearer', token: token.trim() };
}

/**
 * With --api-keys the token variable is optional: when set, it is also accepted as the
 * development token (every organization, every scope; the server warns at start).
 */
export function resolveDevelopmentToken(settings: AuthSettings, env: NodeJS.ProcessEnv): string | undefined {
  if (settings.insecureNoAuth) throw new UsageError('--insecure-no-auth and --api-keys exclude each other');
  const token = env[settings.tokenEnv];
  if (token === undefined || token.trim() === '') return undefined;
  if (token.trim().length < minimumTokenLength) {
    throw new UsageError(
      `the API token in ${settings.tokenEnv} is too short: use at least ${minimumTokenLength} characters`,
      {
        hint: `unset ${settings.tokenEnv} to accept API keys only`,
      },
    );
  }
  return token.trim();
}
