import type { Queryable } from '../../src/db/database.js';
import { sqlFile } from '../../src/db/sqlFile.js';
import { serverCpuSeconds } from './serverCpu.js';

const functionStatsSql = sqlFile(import.meta.url, './function_stats.sql');

interface FunctionCounters {
  readonly calls: number;
  readonly totalMs: number;
}

/** The server's own view of one function over a piece of work: calls and mean execution time. */
export interface ServerSideFigures {
  readonly calls: number;
  /** pg_stat_user_functions.total_time / calls: includes waiting for row locks inside the function. */
  readonly meanExecMs: number;
  /** Server CPU (all backends of the run, user + system) per call in µs; NaN when not measurable. */
  readonly cpuMicrosPerCall: number;
}

/**
 * Runs `work` and returns the server-side calls and mean execution time of `functionName`
 * over it, from pg_stat_user_functions (needs track_functions = pl or all).
 * Backends send their counters at most once a second, and always when they exit, so the
 * work must close its connections before it returns; this then waits until `expectedCalls`
 * have arrived (at most 5 s) rather than sleeping a fixed time.
 */
export async function withServerSideFigures<T>(
  admin: Queryable,
  functionName: string,
  options: { measureCpu: boolean },
  work: () => Promise<{ result: T; calls: number }>,
): Promise<{ result: T; server: ServerSideFigures }> {
  const cpuBefore = options.measureCpu ? await serverCpuSeconds(admin) : undefined;
  const before = await readCounters(admin, functionName);
  const { result, calls: expectedCalls } = await work();
  let after = await readCounters(admin, functionName);
  for (let waited = 0; after.calls - before.calls < expectedCalls && waited < 5_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    after = await readCounters(admin, functionName);
  }
  const calls = after.calls - before.calls;
  // A backend reports its counters just before it exits; the postmaster reaps it (and adds its CPU) just after.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const cpuAfter = cpuBefore === undefined ? undefined : await serverCpuSeconds(admin);
  const cpuMicrosPerCall =
    cpuBefore === undefined || cpuAfter === undefined || calls === 0
      ? Number.NaN
      : ((cpuAfter - cpuBefore) * 1e6) / calls;
  return {
    result,
    server: {
      calls,
      meanExecMs: calls === 0 ? Number.NaN : (after.totalMs - before.totalMs) / calls,
      cpuMicrosPerCall,
    },
  };
}

async function readCounters(admin: Queryable, functionName: string): Promise<FunctionCounters> {
  const { rows } = await admin.query<{ calls: string | null; total_ms: number | null }>(functionStatsSql, [
    functionName,
  ]);
  return { calls: Number(rows[0]?.calls ?? 0), totalMs: rows[0]?.total_ms ?? 0 };
}
