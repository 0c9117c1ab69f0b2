import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Child processes (pg_dump, a checklist's commands) must not outlive shipcheck: killed with
 * kill -9, it cannot stop them, and an orphaned pg_dump went on writing into the run
 * directory. Each child gets its own process group, killed whole when shipcheck exits, and a
 * pid file in the run directory while it lives, so the next start that holds the run kills
 * what a killed shipcheck left running (reapOrphans).
 */
export const childrenDirName = 'children';

interface ChildRecord {
  readonly pid: number;
  /** Process start time in clock ticks (Linux /proc): a reused pid is not the child. */
  readonly started: string | null;
  readonly what: string;
  readonly parent: { readonly pid: number; readonly started: string | null };
}

const live = new Set<ChildProcess>();
const secretFiles = new Set<string>();
let exitHookInstalled = false;

/**
 * spawn() in a new process group, tracked until it exits. `runDir`: where its pid file goes.
 *
 * @example
 * const child = spawnChild('pg_dump', args, { env, stdio: ['ignore', 'pipe', 'pipe'] }, { runDir, what: 'pg_dump backup' });
 */
export function spawnChild(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
  tracking: { runDir?: string; what: string },
): ChildProcess {
  installExitHook();
  const child = spawn(file, args, { ...options, detached: true });
  live.add(child);
  const pidFile =
    tracking.runDir && child.pid !== undefined
      ? join(tracking.runDir, childrenDirName, `${child.pid}.json`)
      : undefined;
  // Written at once (synchronously): a kill -9 right after the spawn must find it. It is the safety
  // net for that case; failing to write it must not fail the child's work.
  if (pidFile) recordChild(pidFile, child.pid!, tracking.what);
  child.once('exit', () => {
    live.delete(child);
    if (pidFile) rm(pidFile, { force: true }).catch(() => {});
  });
  child.once('error', () => live.delete(child));
  return child;
}

/** SIGTERM or SIGKILL to the child's whole group (a shell's own children too); the child alone if the group is gone. */
export function killChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function recordChild(pidFile: string, pid: number, what: string): void {
  const record: ChildRecord = {
    pid,
    started: startTime(pid),
    what,
    parent: { pid: process.pid, started: startTime(process.pid) },
  };
  try {
    mkdirSync(dirname(pidFile), { recursive: true, mode: 0o700 });
    writeFileSync(pidFile, JSON.stringify(record), { mode: 0o600 });
  } catch {
    // Not fatal: without it only the next start's clean-up misses this child.
  }
}

/** Signals that end a process without its 'exit' event: CI cancelling a job, a closed terminal. */
const endingSignals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' runs synchronously as the process ends normally or through process.exit: kill is synchronous.
  process.once('exit', killAll);
  for (const signal of endingSignals) {
    const onSignal = () => {
      killAll();
      process.off(signal, onSignal);
      // Nobody else handles it: end as the signal would have without this listener.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killAll(): void {
  for (const child of live) killChild(child, 'SIGKILL');
  for (const path of secretFiles) rmSync(path, { force: true });
}

/**
 * A file holding a secret for a child (pg_dump's passfile), removed if shipcheck ends by
 * exit or SIGTERM/SIGHUP before it could; the returned function forgets it once removed.
 * (A kill -9 leaves it in the run directory for the next start: removeStalePassfiles.)
 */
export function removeOnExit(path: string): () => void {
  installExitHook();
  secretFiles.add(path);
  return () => secretFiles.delete(path);
}

export interface ReapedChild {
  readonly pid: number;
  readonly what: string;
  /** true: it was still running and was killed; false: it had ended by itself. */
  readonly killed: boolean;
}

/**
 * The children a dead shipcheck left behind in `runDir`: each still running is killed with its
 * group (SIGKILL), each pid file removed. A child whose parent still runs is left alone. Only a
 * process whose start time matches the recorded one is killed (Linux); elsewhere none is
 * killed, as a reused pid cannot be told apart.
 */
export async function reapOrphans(runDir: string): Promise<ReapedChild[]> {
  const dir = join(runDir, childrenDirName);
  const names = await readdir(dir).catch(() => [] as string[]);
  const reaped: ReapedChild[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const path = join(dir, name);
    const record = await readFile(path, 'utf8')
      .then((text) => JSON.parse(text) as ChildRecord)
      .catch(() => undefined);
    if (!record) {
      await rm(path, { force: true });
      continue;
    }
    if (isRunning(record.parent.pid, record.parent.started)) continue;
    const running = record.started !== null && isRunning(record.pid, record.started);
    if (running) {
      try {
        process.kill(-record.pid, 'SIGKILL');
      } catch {
        try {
          process.kill(record.pid, 'SIGKILL');
        } catch {
          // It ended between the check and the kill.
        }
      }
    }
    reaped.push({ pid: record.pid, what: record.what, killed: running });
    await rm(path, { force: true });
  }
  return reaped;
}

/** Whether `pid` runs and is the process that started at `started` (when known). */
export function isRunning(pid: number, started: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return started === null || startTime(pid) === started;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); null without /proc. */
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
