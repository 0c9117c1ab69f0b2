import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { RunEvent } from './events.js';

/**
 * One line of events.jsonl in format 2: the event's fields after an envelope,
 *
 *   {"v":2,"prev":"<sha256 of the previous line>","type":…,…,"mac":"<hmac>"}
 *
 * `prev` is the sha256 (hex) of the exact bytes of the previous line, without
 * its newline (genesisHash for the first line), so editing, inserting or
 * removing an event breaks the chain at the next one. `mac`, present when the
 * writer held SHIPCHECK_LOG_KEY, is the HMAC-SHA256 (hex) of the line's bytes
 * without it: the line up to `,"mac":"…"` closed by `}`. As `prev` is inside
 * the MACed bytes, the MACs chain too. Format 1 lines (before the chain) are
 * the bare event and carry neither.
 */
export const logFormatVersion = 2;
export const genesisHash = '0'.repeat(64);
export const logKeyVariable = 'SHIPCHECK_LOG_KEY';

/** The smallest key accepted: an HMAC key shorter than this is guessable. */
const minKeyLength = 16;
const macSuffix = /,"mac":"([0-9a-f]{64})"}$/;

/** The signing key from SHIPCHECK_LOG_KEY, if set. Never printed. */
export function logKeyFrom(env: NodeJS.ProcessEnv): Buffer | undefined {
  const value = env[logKeyVariable];
  if (value === undefined || value === '') return undefined;
  if (value.length < minKeyLength) {
    throw new UsageError(
      `${logKeyVariable} is too short to sign run logs: use at least ${minKeyLength} characters (e.g. openssl rand -hex 32)`,
    );
  }
  return Buffer.from(value, 'utf8');
}

export function hashLine(line: Buffer): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The line (no newline) that records `event` after the line whose hash is `prev`. */
export function encodeLine(event: RunEvent, prev: string, key: Buffer | undefined): Buffer {
  const body = JSON.stringify({ v: logFormatVersion, prev, ...event });
  if (!key) return Buffer.from(body, 'utf8');
  return Buffer.from(`${body.slice(0, -1)},"mac":"${hmac(key, Buffer.from(body, 'utf8'))}"}`, 'utf8');
}

/** Whether a format-2 line's mac is the key's HMAC of its bytes; undefined when it has none. */
export function verifyMac(line: Buffer, key: Buffer): boolean | undefined {
  const text = line.toString('utf8');
  const found = macSuffix.exec(text);
  if (!found) return undefined;
  const body = Buffer.from(`${text.slice(0, found.index)}}`, 'utf8');
  return timingSafeEqual(Buffer.from(hmac(key, body), 'hex'), Buffer.from(found[1]!, 'hex'));
}

function hmac(key: Buffer, bytes: Buffer): string {
  return createHmac('sha256', key).update(bytes).digest('hex');
}

/** A line's envelope split from its event (which the event schema then checks). */
export interface DecodedLine {
  readonly version: 1 | 2;
  readonly prev?: string;
  readonly signed: boolean;
  readonly value: unknown;
}

/** Splits the envelope off a parsed line; a problem is returned as a sentence. */
export function splitEnvelope(value: unknown): DecodedLine | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'a line must hold a JSON object';
  const { v, prev, mac, ...event } = value as Record<string, unknown>;
  if (v === undefined) {
    if (prev !== undefined || mac !== undefined) return 'a format 1 line cannot carry "prev" or "mac"';
    return { version: 1, signed: false, value: event };
  }
  if (v !== logFormatVersion)
    return `format version ${JSON.stringify(v)} is not one this shipcheck reads (it reads 1 and ${logFormatVersion}): a newer shipcheck wrote it`;
  if (typeof prev !== 'string' || !/^[0-9a-f]{64}$/.test(prev))
    return '"prev" must be the sha256 (64 hex digits) of the previous line';
  if (mac !== undefined && (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)))
    return '"mac" must be 64 hex digits';
  return { version: 2, prev, signed: mac !== undefined, value: event };
}
