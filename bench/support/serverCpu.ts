import { readFile } from 'node:fs/promises';
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
 * CPU seconds used so far by the live backends whose application_name starts with
 * `applicationPrefix` (a bench's own pools, which stay connected across a measurement).
 * Undefined when the server is not on this machine or /proc is not readable.
 */
export async function backendCpuSeconds(admin: Queryable, applicationPrefix: string): Promise<number | undefined> {
  try {
    const { rows } = await admin.query<{ pid: number }>(
      "select pid from pg_catalog.pg_stat_activity where starts_with(application_name, $1) and backend_type = 'client backend'",
      [applicationPrefix],
    );
    let ticks = 0;
    for (const { pid } of rows) {
      // A backend that ended between the query and the read is not counted (its time is lost, not wrong).
      const fields = await procStat(pid).catch(() => undefined);
      if (fields) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return rows.length === 0 ? undefined : ticks / ticksPerSecond;
  } catch {
    return undefined;
  }
}
