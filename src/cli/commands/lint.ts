import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { lintFiles, renderLintReports } from '../../lint/lintFiles.js';
import { lintRules } from '../../lint/rules/index.js';
import type { CliContext } from '../context.js';
import { positiveInteger } from '../options.js';
import { printJson } from '../output.js';

/** `shipcheck lint FILE…`: the static rules on PostgreSQL's parse tree; exit 1 on any unwaived finding. */
export function registerLint(program: Command, context: CliContext): void {
  program
    .command('lint')
    .description(
      "check migration files for statements that lock the app out, break the running release or leave functions open, on PostgreSQL's own parse tree; connects to no database",
    )
    .argument('[files...]', 'migration SQL files')
    .option(
      '--disable <rule>',
      'a rule not to apply (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option(
      '--pg-version <major>',
      'PostgreSQL major version the migrations target (default 15)',
      positiveInteger('--pg-version', 99),
    )
    .option('--rules', 'list the rules, why each matters and its safe rewrite')
    .option('--json', 'machine-readable output')
    .action(
      async (files: string[], flags: { disable: string[]; pgVersion?: number; rules?: boolean; json?: boolean }) => {
        if (flags.rules) {
          const rules = lintRules.map(({ id, why, rewrite }) => ({ id, why, rewrite }));
          if (flags.json) return printJson(context.output, rules);
          for (const rule of rules) context.output.out(`${rule.id}\n  why: ${rule.why}\n  instead: ${rule.rewrite}`);
          return;
        }
        const reports = await lintFiles(files, {
          disable: flags.disable,
          ...(flags.pgVersion !== undefined && { pgVersion: flags.pgVersion }),
        });
        const clean = reports.every((r) => r.findings.length === 0);
        context.exitCode = clean ? ExitCode.ok : ExitCode.checkFailed;
        if (flags.json) return printJson(context.output, { ok: clean, files: reports });
        for (const line of renderLintReports(reports)) context.output.out(line);
      },
    );
}
