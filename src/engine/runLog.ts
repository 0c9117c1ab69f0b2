import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from './events.js';

export const eventsFileName = 'events.jsonl';

/** Directories under the state dir hold run data: owner-only. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}

/**
 * Appends one event as one JSON line and fsyncs before returning, so an event
 * the caller saw written survives a crash. Opened with O_APPEND each time:
 * another process (`shipcheck approve`) may append to the same log.
 */
export async function appendEvent(runDir: string, event: RunEvent): Promise<void> {
  const file = await open(join(runDir, eventsFileName), 'a', 0o600);
  try {
    await file.write(`${JSON.stringify(event)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Reads a run's events. A torn last line (the process died mid-write) is
 * dropped; a bad line anywhere else means the log was damaged and is an error.
 */
export async function readEvents(runDir: string): Promise<RunEvent[]> {
  const text = await readFile(join(runDir, eventsFileName), 'utf8');
  return parseEvents(text, runDir);
}

export function parseEvents(text: string, where = 'run log'): RunEvent[] {
  const lines = text.split('\n');
  const events: RunEvent[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      const isLast = lines.slice(index + 1).every((rest) => rest.trim() === '');
      if (!isLast) throw new Error(`${where}/${eventsFileName} line ${index + 1} is not valid JSON: the log is damaged`);
    }
  });
  return events;
}
