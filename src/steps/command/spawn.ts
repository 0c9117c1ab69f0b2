import { killChild, spawnChild } from '../../process/children.js';

export interface CapturedOutput {
  readonly text: string;
  /** Bytes beyond the cap that were dropped. */
  readonly droppedBytes: number;
}

export interface CommandResult {
  /** null when the process was killed (timeout, abort) or could not start. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** Set when the executable could not be started (ENOENT, EACCES). */
  readonly startError?: string;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  readonly durationMs: number;
}

export interface CommandOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly signal: AbortSignal;
  /** The run directory: the child's pid file goes there while it runs (reapOrphans after a crash). */
  readonly runDir?: string;
}

/**
 * Runs a program without a shell, stdin closed, keeping at most `maxOutputBytes`
 * of each stream. On timeout or abort it sends SIGTERM, then SIGKILL 2 s later, to the
 * child's whole process group (what a shell started dies too); shipcheck's exit kills it.
 */
export function runCommand(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawnChild(
      file,
      args,
      { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] },
      {
        ...(options.runDir !== undefined && { runDir: options.runDir }),
        what: `command ${[file, ...args].join(' ').slice(0, 200)}`,
      },
    );
    const stdout = capped(options.maxOutputBytes);
    const stderr = capped(options.maxOutputBytes);
    child.stdout!.on('data', stdout.add);
    child.stderr!.on('data', stderr.add);
    let timedOut = false;
    let aborted = false;
    let startError: string | undefined;
    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      killChild(child, 'SIGTERM');
      killer = setTimeout(() => killChild(child, 'SIGKILL'), 2000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();
    child.on('error', (error: NodeJS.ErrnoException) => {
      startError = `${error.code ?? 'error'}: ${error.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      options.signal.removeEventListener('abort', onAbort);
      resolve({
        exitCode: code,
        signal,
        timedOut,
        aborted,
        ...(startError !== undefined && { startError }),
        stdout: stdout.result(),
        stderr: stderr.result(),
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}

function capped(max: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  return {
    add: (chunk: Buffer) => {
      const room = max - kept;
      if (room > 0) {
        const part = chunk.subarray(0, room);
        chunks.push(part);
        kept += part.length;
      }
      dropped += Math.max(0, chunk.length - Math.max(room, 0));
    },
    result: (): CapturedOutput => ({ text: Buffer.concat(chunks).toString('utf8'), droppedBytes: dropped }),
  };
}
