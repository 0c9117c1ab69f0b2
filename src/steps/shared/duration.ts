import { z } from 'zod';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration as checklists write it: "500ms", "10s", "5m", "24h" (or a number of
 * seconds). Parses to milliseconds.
 */
export function duration(field: string, limits: { minMs?: number; maxMs?: number } = {}) {
  return z.union([z.number().positive(), z.string()]).transform((raw, ctx) => {
    const ms = toMilliseconds(raw);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${field} must look like 500ms, 10s, 5m or 24h, got ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    }
    if (limits.minMs !== undefined && ms < limits.minMs) {
      ctx.addIssue({ code: 'custom', message: `${field} must be at least ${formatDuration(limits.minMs)}` });
      return z.NEVER;
    }
    if (limits.maxMs !== undefined && ms > limits.maxMs) {
      ctx.addIssue({ code: 'custom', message: `${field} must be at most ${formatDuration(limits.maxMs)}` });
      return z.NEVER;
    }
    return ms;
  });
}

function toMilliseconds(raw: number | string): number | undefined {
  if (typeof raw === 'number') return raw * 1000;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(raw);
  if (!match) return undefined;
  const ms = Number(match[1]) * units[match[2]!]!;
  return ms > 0 ? ms : undefined;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
