import { z } from 'zod';
import { redactSecrets } from '../db/connectionString.js';
import { UsageError, InterruptedError } from '../errors.js';
import { formatCommandLine, resolveExecutable, splitCommandLine } from './command/argv.js';
import { type CommandResult, runCommand } from './command/spawn.js';
import { duration, formatDuration } from './shared/duration.js';
import { checkValues, describeProblems } from './shared/jsonPath.js';
import type { EvidenceRecord, StepKind, StepOutcome } from './types.js';

const maxOutputBytes = 64 * 1024;
/** What `observed` keeps of each stream; the evidence file keeps up to maxOutputBytes. */
const observedTailBytes = 4 * 1024;

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const connectionVariables = ['SHIPCHECK_DATABASE_URL', 'DATABASE_URL'];
/** How much of stderr a failure message quotes: the last lines, where tools say what went wrong. */
const quotedStderrLines = 3;
const quotedStderrChars = 400;

const schema = z.strictObject({
  run: z
    .union([
      z.string().transform((line, ctx) => {
        const argv = splitCommandLine(line);
        if (!argv) ctx.addIssue({ code: 'custom', message: 'run has an unterminated quote' });
        else if (argv.length === 0) ctx.addIssue({ code: 'custom', message: 'run is empty' });
        return argv ?? [];
      }),
      z.array(z.string()).min(1, 'run is empty'),
    ])
    .describe(
      "the program and its arguments: a line split into words (no shell; '…' and \"…\" quote) or a list; shipcheck runs this package's own bin",
    ),
  expect: z
    .strictObject({
      exit_code: z.number().int().min(0).max(255).default(0).describe('the exit status it must end with (0 to 255)'),
      stdout_contains: z.array(z.string().min(1)).optional().describe('texts its standard output must each contain'),
      stderr_contains: z.array(z.string().min(1)).optional().describe('texts its standard error must each contain'),
      json: z
        .record(z.string().min(1), z.unknown())
        .optional()
        .describe('stdout parsed as JSON: path: value pairs it must hold (dotted paths, [0] or .0 for indexes)'),
    })
    .default({ exit_code: 0 })
    .describe('what the finished program must show; default: exit code 0'),
  env: z
    .array(z.string().regex(variableName, 'env names a variable: letters, digits and _, not starting with a digit'))
    .default([])
    .refine((names) => !names.some((n) => connectionVariables.includes(n)), {
      message: "env cannot name SHIPCHECK_DATABASE_URL or DATABASE_URL: they always hold the environment's connection",
    })
    .describe(
      "variables passed through from the operator's environment (e.g. SUPABASE_URL); a variable that is not set stops the step before it runs; their values are redacted from the output kept",
    ),
  env_set: z
    .record(
      z.string().regex(variableName, 'env_set names a variable: letters, digits and _, not starting with a digit'),
      z.string(),
    )
    .default({})
    .refine((vars) => !Object.keys(vars).some((n) => connectionVariables.includes(n)), {
      message:
        "env_set cannot set SHIPCHECK_DATABASE_URL or DATABASE_URL: they always hold the environment's connection",
    })
    .describe('variables set to these literal values for the command (written in the checklist: no secrets here)'),
  timeout: duration('timeout', { maxMs: 24 * 3_600_000 })
    .default(300_000)
    .describe('longest run, e.g. 30s or 5m (at most 24h; default 5m); then SIGTERM, and SIGKILL 2 s later'),
});

export type CommandSpec = z.infer<typeof schema>;

/**
 * `command`: runs a program (no shell) with the environment's connection in
 * SHIPCHECK_DATABASE_URL and DATABASE_URL and nothing else of ours but PATH,
 * HOME and LANG (graphile-migrate actions.ts), then checks its exit code and output.
 *
 * @example
 * - id: verify-count
 *   kind: command
 *   run: shipcheck shield verify-count --user-id test_concurrent_staging --expected-count 5
 *   expect: { exit_code: 0 }
 */
export const commandStep: StepKind<CommandSpec> = {
  kind: 'command',
  schema,
  idempotent: false,
  mutates: true,
  rehearsable: false,
  describe(spec) {
    return {
      summary: `run a command and expect ${expectedText(spec)} (timeout ${formatDuration(spec.timeout)})`,
      detail: [
        formatCommandLine(spec.run),
        ...(spec.env.length > 0 ? [`passes through: ${spec.env.join(', ')}`] : []),
        ...Object.entries(spec.env_set).map(([name, value]) => `sets ${name}=${value}`),
      ].join('\n'),
    };
  },
  async run(spec, context) {
    const { file, args } = resolveExecutable(spec.run);
    const commandLine = formatCommandLine(spec.run);
    context.progress(`running ${commandLine}`);
    const operatorEnv = context.env ?? process.env;
    const missing = spec.env.filter((name) => operatorEnv[name] === undefined);
    if (missing.length > 0) {
      throw new UsageError(
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: the command step ${context.step.id} passes ${missing.length === 1 ? 'it' : 'them'} through (env:)`,
        {
          hint: 'export it in the environment that runs shipcheck, or remove it from the step',
        },
      );
    }
    const passedThrough = Object.fromEntries(spec.env.map((name) => [name, operatorEnv[name]!]));
    const result = await runCommand(file, args, {
      cwd: context.checklistDir,
      env: {
        ...commandEnvironment(context.environment.connectionString, context.env),
        ...spec.env_set,
        ...passedThrough,
      },
      timeoutMs: spec.timeout,
      maxOutputBytes,
      signal: context.signal,
      runDir: context.runDir,
    });
    if (result.startError) {
      throw new UsageError(`could not start ${spec.run[0]}: ${result.startError}`, {
        hint: 'check the command name and PATH; shell syntax needs run: [sh, -c, "…"]',
      });
    }
    if (result.aborted) throw InterruptedError.duringStep(`running ${commandLine}`);
    // Passed-through values may be tokens: they are kept out of the evidence like the connection string.
    const secrets = [
      context.environment.connectionString,
      ...Object.values(passedThrough).filter((v) => v.length >= 4),
    ];
    const redact = (text: string) => redactSecrets(text, secrets);
    const evidence = await context.writeEvidence(
      'output.txt',
      evidenceText(commandLine, result, redact),
      `output of ${commandLine}`,
    );
    return judge(spec, result, redact, commandLine, evidence);
  },
};

/** Only what a command needs, never the operator's whole environment (tokens, cloud credentials). */
export function commandEnvironment(connectionString: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const passed: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'LANG'] as const) if (env[name] !== undefined) passed[name] = env[name];
  return { ...passed, SHIPCHECK_DATABASE_URL: connectionString, DATABASE_URL: connectionString };
}

function judge(
  spec: CommandSpec,
  result: CommandResult,
  redact: (text: string) => string,
  commandLine: string,
  evidence: EvidenceRecord,
): StepOutcome {
  const stdout = redact(result.stdout.text);
  const stderr = redact(result.stderr.text);
  const problems: string[] = [];
  if (result.timedOut) problems.push(`timed out after ${formatDuration(spec.timeout)}`);
  else if (result.exitCode !== spec.expect.exit_code) {
    problems.push(`exited with ${result.exitCode ?? `signal ${result.signal}`}, expected ${spec.expect.exit_code}`);
  }
  for (const text of spec.expect.stdout_contains ?? [])
    if (!stdout.includes(text)) problems.push(`stdout lacks ${JSON.stringify(text)}`);
  for (const text of spec.expect.stderr_contains ?? [])
    if (!stderr.includes(text)) problems.push(`stderr lacks ${JSON.stringify(text)}`);
  if (spec.expect.json) problems.push(...jsonProblems(stdout, spec.expect.json));
  const observed = {
    command: commandLine,
    exit_code: result.exitCode,
    signal: result.signal,
    timed_out: result.timedOut,
    duration_ms: result.durationMs,
    stdout_tail: stdout.slice(-observedTailBytes),
    stderr_tail: stderr.slice(-observedTailBytes),
    ...(result.stdout.droppedBytes + result.stderr.droppedBytes > 0 && {
      dropped_bytes: { stdout: result.stdout.droppedBytes, stderr: result.stderr.droppedBytes },
    }),
  };
  const expected = expectedText(spec);
  return problems.length === 0
    ? {
        status: 'passed',
        expected,
        observed,
        message: `${commandLine} exited ${result.exitCode}`,
        evidence: [evidence],
        metrics: { duration_ms: result.durationMs },
      }
    : {
        status: 'failed',
        expected,
        observed,
        message: `${commandLine}: ${problems.join('; ')}${stderrQuote(stderr)}`,
        evidence: [evidence],
        metrics: { duration_ms: result.durationMs },
      };
}

/** The last lines of stderr, for a failure message that says why without opening the evidence. */
function stderrQuote(stderr: string): string {
  const lines = stderr
    .trimEnd()
    .split('\n')
    .filter((line) => line.trim() !== '');
  if (lines.length === 0) return '';
  const tail = lines.slice(-quotedStderrLines).join(' | ');
  return `; stderr: ${tail.length > quotedStderrChars ? `…${tail.slice(-quotedStderrChars)}` : tail}`;
}

function jsonProblems(stdout: string, expectations: Readonly<Record<string, unknown>>): string[] {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    return ['stdout is not JSON'];
  }
  return describeProblems(checkValues(document, expectations), 'is');
}

function evidenceText(commandLine: string, result: CommandResult, redact: (text: string) => string): string {
  const dropped = (bytes: number) => (bytes > 0 ? `\n[… ${bytes} more bytes dropped]` : '');
  return [
    `$ ${commandLine}`,
    `exit code: ${result.exitCode ?? `killed by ${result.signal}`}${result.timedOut ? ' (timed out)' : ''}`,
    `duration: ${result.durationMs} ms`,
    '--- stdout ---',
    redact(result.stdout.text) + dropped(result.stdout.droppedBytes),
    '--- stderr ---',
    redact(result.stderr.text) + dropped(result.stderr.droppedBytes),
    '',
  ].join('\n');
}

function expectedText(spec: CommandSpec): string {
  const parts = [`exit code ${spec.expect.exit_code}`];
  for (const text of spec.expect.stdout_contains ?? []) parts.push(`stdout containing ${JSON.stringify(text)}`);
  for (const text of spec.expect.stderr_contains ?? []) parts.push(`stderr containing ${JSON.stringify(text)}`);
  for (const [path, value] of Object.entries(spec.expect.json ?? {})) parts.push(`${path} = ${JSON.stringify(value)}`);
  return parts.join(', ');
}
