import { join } from 'node:path';
import { removeStalePassfiles } from '../backup/pgDump.js';
import { reapOrphans, type ReapedChild } from '../process/children.js';

export interface CrashLeftovers {
  readonly children: readonly ReapedChild[];
  readonly passfiles: number;
}

/**
 * What a shipcheck killed mid-step (kill -9, a power cut) left of a run: child processes
 * still running (a pg_dump writing into the run directory) are killed, password files
 * removed. Run when a run starts or resumes, under its lease, before any step.
 *
 * @example
 * const left = await clearCrashLeftovers(runDir); // { children: [{ pid: 4242, what: 'pg_dump …', killed: true }], passfiles: 1 }
 */
export async function clearCrashLeftovers(runDir: string): Promise<CrashLeftovers> {
  const children = await reapOrphans(runDir);
  const passfiles = await removeStalePassfiles(join(runDir, 'backups'));
  return { children, passfiles };
}
