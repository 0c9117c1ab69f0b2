import { join } from 'node:path';
import { removeStalePassfiles } from '../backup/pgDump.js';
import { reapOrphans, type ReapedChild } from '../process/children.js';
import type { RunJournal } from './journal.js';

export interface CrashLeftovers {
  readonly children: readonly ReapedChild[];
  readonly passfiles: number;
}

/**
 * What a shipcheck killed mid-step (kill -9, a power cut) left of a run: child processes
 * still running (a pg_dump writing into the run directory) are killed, password files
 * removed, and a `leftovers_cleared` event says what (nothing is recorded when nothing was
 * left). Run when a run starts or resumes (a manual rollback too), under its lease, before any step.
 *
 * @example
 * await clearCrashLeftovers(journal); // { children: [{ pid: 4242, what: 'pg_dump …', killed: true }], passfiles: 1 }
 */
export async function clearCrashLeftovers(journal: RunJournal): Promise<CrashLeftovers> {
  const children = await reapOrphans(journal.runDir);
  const passfiles = await removeStalePassfiles(join(journal.runDir, 'backups'));
  if (children.length > 0 || passfiles > 0) await journal.record({ type: 'leftovers_cleared', children, passfiles });
  return { children, passfiles };
}
