import { readdir, readFile } from 'node:fs/promises';
import type { Queryable } from '../../src/db/database.js';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const ticksPerSecond = 100;

/**
 * CPU seconds the PostgreSQL server has used in total: the postmaster's own time plus
 * that of its children that have exited (backends are reaped when they disconnect).
 * So once a run's connections are closed, the delta over the run is what its backends
 * burned, load or no load. Only meaningful for a server this bench started itself
 * (embedded): a shared server's other clients would be counted too. Undefined when the
 * server is not on this machine or /proc is not readable.
 */
export async function serverCpuSeconds(admin: Queryable): Promise<number | undefined> {
  try {
    const { rows } = await admin.query<{ pid: number }>('select pg_catalog.pg_backend_pid() as pid');
    const backend = await procStat(rows[0]!.pid);
    const postmaster = await procStat(Number(backend[1]));
    // After the command (field 2): [state, ppid, …]; utime, stime, cutime, cstime are fields 14-17.
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(postmaster[i]));
    return (utime! + stime! + cutime! + cstime!) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** The fields of /proc/<pid>/stat after the command name (which may itself contain spaces). */
async function procStat(pid: number): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  return text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}

/**
 * CPU seconds the whole PostgreSQL server has used so far: the postmaster, its live children
 * (backends, WAL writer, checkpointer, autovacuum) and the children it has reaped. Unlike
 * serverCpuSeconds it needs no connection closed, so a pool can stay open across the
 * measurement; a pool that closes idle connections meanwhile moves their time from "live"
 * to "reaped", never out of the sum. Counts every client of the server: meaningful only
 * when the bench is its sole user. Undefined when the server is not on this machine.
 */
export async function serverCpuTotalSeconds(admin: Queryable): Promise<number | undefined> {
  try {
    const { rows } = await admin.query<{ pid: number }>('select pg_catalog.pg_backend_pid() as pid');
    const postmasterPid = Number((await procStat(rows[0]!.pid))[1]);
    const postmaster = await procStat(postmasterPid);
    // utime, stime, cutime, cstime are fields 14-17 of /proc/<pid>/stat: 11-14 after the command.
    let ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(postmaster[i]), 0);
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      // A child that ends between the listing and the read is counted as reaped next time.
      const fields = await procStat(Number(entry)).catch(() => undefined);
      if (fields && Number(fields[1]) === postmasterPid) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / ticksPerSecond;
  } catch {
    return undefined;
  }
}
