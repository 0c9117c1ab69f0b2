import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RunLogDamagedError } from '../errors.js';
import { parseRunEvent } from './eventSchema.js';
import type { RunEvent } from './events.js';
import { withLogLock } from './logLock.js';
import { encodeLine, genesisHash, hashLine, splitEnvelope, verifyMac } from './logLine.js';

export const eventsFileName = 'events.jsonl';

/** Directories under the state dir hold run data: owner-only. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}

/** What a reader can say about a log beyond its events (see logLine.ts for the format). */
export interface LogIntegrity {
  /** Format 1 lines at the start of the log, written before the hash chain: nothing protects them. */
  readonly unchained: number;
  /**
   * verified: every event carries a MAC that the key verifies; unsigned: `firstUnsigned`
   * (1-based) has none; invalid: `firstInvalid`'s MAC does not verify; unchecked: every
   * event is MACed but no key was given to check them.
   */
  readonly signature: 'verified' | 'unsigned' | 'invalid' | 'unchecked';
  readonly firstUnsigned?: number;
  readonly firstInvalid?: number;
  /** Bytes of a torn last line (a writer died mid-line) the reader left out. */
  readonly tornBytes: number;
}

export interface RunLog {
  readonly events: RunEvent[];
  readonly integrity: LogIntegrity;
}

/**
 * Reads a run's log: every event checked against its schema and the hash chain
 * checked line by line (RunLogDamagedError names the first bad event). A torn
 * last line (the process died mid-write) is left out, as no writer acknowledged it.
 * With `key`, each event's MAC is checked too (integrity.signature).
 */
export async function readRunLog(runDir: string, key?: Buffer): Promise<RunLog> {
  const bytes = await readFile(join(runDir, eventsFileName));
  return parseRunLog(bytes, join(runDir, eventsFileName), key);
}

export async function readEvents(runDir: string): Promise<RunEvent[]> {
  return (await readRunLog(runDir)).events;
}

export function parseEvents(text: string, where = 'run log'): RunEvent[] {
  return parseRunLog(Buffer.from(text, 'utf8'), where).events;
}

export function parseRunLog(bytes: Buffer, where = 'run log', key?: Buffer): RunLog {
  const lines = splitLines(bytes);
  const events: RunEvent[] = [];
  let unchained = 0;
  let chained = false;
  let firstUnsigned: number | undefined;
  let firstInvalid: number | undefined;
  let allSigned = true;
  let tornBytes = lines.torn.length;
  let previous: Buffer | undefined;
  const damaged = (lineNo: number, problem: string) =>
    new RunLogDamagedError(`${where} is damaged: line ${lineNo} ${problem}`);

  lines.complete.forEach((line, index) => {
    const lineNo = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      // A line the writer finished but a crash garbled can only be the last one.
      if (index === lines.complete.length - 1 && lines.torn.length === 0) {
        tornBytes = line.length + 1;
        return;
      }
      throw damaged(lineNo, 'is not valid JSON');
    }
    const decoded = splitEnvelope(value);
    if (typeof decoded === 'string') throw damaged(lineNo, `is refused: ${decoded}`);
    const checked = parseRunEvent(decoded.value);
    if (!checked.ok) throw damaged(lineNo, `is not a valid event: ${checked.problem}`);
    const { event } = checked;
    if (index === 0 && event.type !== 'run_started')
      throw damaged(lineNo, `is ${event.type}: a run log begins with run_started`);

    if (decoded.version === 1) {
      if (chained) throw damaged(lineNo, 'has no hash chain but follows chained events: shipcheck did not write it');
      unchained++;
    } else {
      chained = true;
      const expected = previous ? hashLine(previous) : genesisHash;
      if (decoded.prev !== expected) {
        throw new RunLogDamagedError(
          previous
            ? `${where}: the hash chain breaks after event ${index} (${describe(events[index - 1]!)}): ` +
                `event ${lineNo} (${describe(event)}) does not follow it, so event ${index} was changed, or events were removed or inserted there`
            : `${where}: the hash chain breaks at event 1 (${describe(event)}): it does not start the chain, so events before it were removed`,
          { code: 'broken_chain' },
        );
      }
    }
    if (!decoded.signed) {
      allSigned = false;
      firstUnsigned ??= lineNo;
    } else if (key && firstInvalid === undefined && verifyMac(line, key) !== true) {
      firstInvalid = lineNo;
    }
    events.push(event);
    previous = line;
  });

  const signature =
    firstInvalid !== undefined
      ? 'invalid'
      : !allSigned || events.length === 0
        ? 'unsigned'
        : key
          ? 'verified'
          : 'unchecked';
  return {
    events,
    integrity: {
      unchained,
      signature,
      ...(firstUnsigned !== undefined && { firstUnsigned }),
      ...(firstInvalid !== undefined && { firstInvalid }),
      tornBytes,
    },
  };
}

function describe(event: RunEvent): string {
  return `${event.type} at ${event.at}`;
}

/** The newline-terminated lines (blank ones dropped) and what follows the last newline. */
function splitLines(bytes: Buffer): { complete: Buffer[]; torn: Buffer } {
  const complete: Buffer[] = [];
  let start = 0;
  for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
    const line = bytes.subarray(start, end);
    if (line.toString('utf8').trim() !== '') complete.push(line);
    start = end + 1;
  }
  const rest = bytes.subarray(start);
  return { complete, torn: rest.toString('utf8').trim() === '' ? Buffer.alloc(0) : rest };
}

export interface AppendOptions {
  /** HMAC key (SHIPCHECK_LOG_KEY): each line gets a MAC. */
  readonly key?: Buffer | undefined;
  /** The time recorded in a log_repaired event, default now. */
  readonly now?: () => string;
}

/**
 * Appends events, each as one line chained to the line before it, and fsyncs
 * before returning, so an event the caller saw written survives a crash.
 *
 * Several processes append to one log (the runner, `shipcheck approve`), so the
 * chain's last hash is read from the file itself under the log's lock
 * (logLock.ts), never from memory. A torn last line found there (a writer died
 * mid-line) is cut off first, its bytes kept in a side file (0600) and a
 * log_repaired event recorded: a new event is never glued to a fragment.
 *
 * Returns the events written, log_repaired first if there was one.
 *
 * @example
 * await appendEvents(runDir, [{ type: 'approval_recorded', … }], { key: logKeyFrom(process.env) });
 */
export async function appendEvents(
  runDir: string,
  events: readonly RunEvent[],
  options: AppendOptions = {},
): Promise<RunEvent[]> {
  const path = join(runDir, eventsFileName);
  return withLogLock(path, async () => {
    const file = await open(path, 'a+', 0o600);
    try {
      const tail = await readTail(file);
      const written: RunEvent[] = [];
      if (tail.torn.length > 0) {
        const sideFile = await keepTornBytes(runDir, tail.tornAt, tail.torn);
        await file.truncate(tail.tornAt);
        await file.sync();
        written.push({
          type: 'log_repaired',
          at: options.now?.() ?? new Date().toISOString(),
          offset: tail.tornAt,
          bytes: tail.torn.length,
          sideFile,
        });
      }
      written.push(...events);
      let prev = tail.lastLine ? hashLine(tail.lastLine) : genesisHash;
      const lines: Buffer[] = [];
      for (const event of written) {
        const line = encodeLine(event, prev, options.key);
        lines.push(line, newline);
        prev = hashLine(line);
      }
      await file.write(Buffer.concat(lines));
      await file.sync();
      return written;
    } finally {
      await file.close();
    }
  });
}

/** One event: appendEvents for callers that write a single one. */
export async function appendEvent(runDir: string, event: RunEvent, options: AppendOptions = {}): Promise<RunEvent[]> {
  return appendEvents(runDir, [event], options);
}

const newline = Buffer.from('\n');
const tailChunk = 64 * 1024;

/**
 * The end of the log, read backwards until the last complete line is found:
 * that line (whose hash the next event carries) and the bytes after it (a torn
 * line). A last line that ends with its newline but is not JSON is torn too (the
 * reader leaves it out as well). Reads a few KiB, however long the log is.
 */
async function readTail(file: FileHandle): Promise<{ lastLine?: Buffer; torn: Buffer; tornAt: number }> {
  const { size } = await file.stat();
  let end = size;
  let line = await lastLineBefore(file, end);
  // Blank lines are skipped (as readers skip them); a last line that is not JSON is torn.
  while (line && (line.bytes.toString('utf8').trim() === '' || !isJson(line.bytes.toString('utf8')))) {
    end = line.start;
    line = end === 0 ? undefined : await lastLineBefore(file, end);
  }
  const tornAt = line ? line.start + line.bytes.length + 1 : 0;
  const rest = await readRange(file, tornAt, size);
  // Only blank lines after the last event: nothing torn, nothing to cut.
  const torn = rest.toString('utf8').trim() === '' ? Buffer.alloc(0) : rest;
  return { ...(line && { lastLine: line.bytes }), torn, tornAt: torn.length > 0 ? tornAt : size };
}

/** The newline-terminated line that ends at or before `end` (its newline at end - 1 or earlier), and where it starts. */
async function lastLineBefore(file: FileHandle, end: number): Promise<{ bytes: Buffer; start: number } | undefined> {
  // The last newline before `end`.
  let newlineAt = -1;
  for (let chunk = tailChunk, from = end; from > 0 && newlineAt === -1; chunk *= 2) {
    const start = Math.max(0, from - chunk);
    const bytes = await readRange(file, start, from);
    const found = bytes.lastIndexOf(0x0a);
    if (found !== -1) newlineAt = start + found;
    from = start;
  }
  if (newlineAt === -1) return undefined;
  // The newline before it, where the line starts.
  let lineStart = 0;
  for (let chunk = tailChunk, from = newlineAt; from > 0; chunk *= 2) {
    const start = Math.max(0, from - chunk);
    const bytes = await readRange(file, start, from);
    const found = bytes.lastIndexOf(0x0a);
    if (found !== -1) {
      lineStart = start + found + 1;
      break;
    }
    from = start;
  }
  return { bytes: await readRange(file, lineStart, newlineAt), start: lineStart };
}

async function readRange(file: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(end - start);
  if (buffer.length > 0) await file.read(buffer, 0, buffer.length, start);
  return buffer;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The torn bytes, unchanged, beside the log: evidence of the crash, never parsed again. */
async function keepTornBytes(runDir: string, offset: number, bytes: Buffer): Promise<string> {
  for (let n = 0; ; n++) {
    const name = `${eventsFileName}.torn-at-${offset}${n === 0 ? '' : `-${n}`}`;
    let side: FileHandle;
    try {
      side = await open(join(runDir, name), 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    try {
      await side.write(bytes);
      await side.sync();
    } finally {
      await side.close();
    }
    return name;
  }
}
