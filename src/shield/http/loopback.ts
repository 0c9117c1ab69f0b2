import { isIP } from 'node:net';

/**
 * True for names and addresses that never leave this machine: localhost, 127.0.0.0/8, ::1.
 * Used to allow an unauthenticated server and load targets only where nobody else can reach.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
  return false;
}
