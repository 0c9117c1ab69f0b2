import { randomBytes } from 'node:crypto';

/** Sortable, readable run ids: 20251024-101500-staging-3f9a. Lexical order is start order. */
export function newRunId(environment: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${environment}-${randomBytes(2).toString('hex')}`;
}

const runIdPattern = /^\d{8}-\d{6}-[a-z0-9_-]+-[0-9a-f]{4}$/;

export function isRunId(value: string): boolean {
  return runIdPattern.test(value);
}
