import { resolve } from 'node:path';
import { z } from 'zod';
import { listFolder, namesMigration } from '../db/migrations/formats.js';
import { UsageError } from '../errors.js';
import { lintFiles, renderLintReports } from '../lint/lintFiles.js';
import type { LintReport } from '../lint/lintSql.js';
import { lintRuleIds } from '../lint/rules/index.js';
import { migrationsDir } from '../paths.js';
import { migrationIdPattern } from './migrate/folder.js';
import type { StepKind } from './types.js';

const schema = z
  .strictObject({
    migration: z
      .string()
      .regex(migrationIdPattern, 'migration is a version or name, e.g. "024", "20240101120000" or "1.1"')
      .optional()
      .describe('a migration to lint, by version or full name, from `directory` in `format`'),
    format: z
      .enum(['shipcheck', 'supabase', 'flyway'])
      .default('shipcheck')
      .describe(
        'how `directory` names its migrations: shipcheck (NNN_name.sql), supabase (<timestamp>_name.sql), flyway (V<version>__<description>.sql)',
      ),
    directory: z
      .string()
      .min(1)
      .optional()
      .describe("directory of the migration files, relative to the checklist (default: shipcheck's db/migrations)"),
    files: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('SQL files to lint, relative to the checklist (instead of, or besides, `migration`)'),
    disable: z
      .array(z.enum(lintRuleIds as [string, ...string[]]))
      .default([])
      .describe(
        'rule ids not applied to these files (`shipcheck lint --rules` lists them); prefer a waiver comment on the statement, which carries its reason',
      ),
    pg_version: z
      .number()
      .int()
      .min(9)
      .max(99)
      .default(15)
      .describe(
        'PostgreSQL major version the migration targets (decides whether any column default rewrites the table)',
      ),
  })
  .refine((spec) => spec.migration !== undefined || spec.files !== undefined, {
    message: 'name a `migration` or `files` to lint',
  });

export type LintSpec = z.infer<typeof schema>;

async function lintSpec(spec: LintSpec, checklistDir: string): Promise<LintReport[]> {
  const files = (spec.files ?? []).map((file) => resolve(checklistDir, file));
  if (spec.migration !== undefined) {
    const directory = spec.directory ? resolve(checklistDir, spec.directory) : migrationsDir;
    const migration = listFolder({ format: spec.format, directory }).migrations.find((m) =>
      namesMigration(m, spec.migration!),
    );
    if (!migration)
      throw new UsageError(`no migration "${spec.migration}" in ${spec.directory ?? "shipcheck's db/migrations"}`);
    files.unshift(migration.path);
  }
  return lintFiles(files, { disable: spec.disable, pgVersion: spec.pg_version });
}

/**
 * `lint`: the static rules of `shipcheck lint` on a migration's parse tree, before anything
 * touches a database; fails on any finding not waived in the file or disabled here.
 *
 * @example
 * - id: lint-024
 *   kind: lint
 *   migration: "024"
 */
export const lintStep: StepKind<LintSpec> = {
  kind: 'lint',
  schema,
  idempotent: true,
  mutates: false,
  rehearsable: true,
  describe(spec) {
    const what = [spec.migration && `migration ${spec.migration}`, ...(spec.files ?? [])].filter(Boolean).join(', ');
    const disabled = spec.disable.length > 0 ? ` (rules disabled: ${spec.disable.join(', ')})` : '';
    return {
      summary: `lint ${what} on PostgreSQL's parse tree${disabled}`,
      detail: 'shipcheck lint: static rules, no database',
    };
  },
  async preview(spec, { checklistDir }) {
    const reports = await lintSpec(spec, checklistDir);
    return { ok: reports.every((r) => r.findings.length === 0), lines: renderLintReports(reports) };
  },
  async run(spec, context) {
    const reports = await lintSpec(spec, context.checklistDir);
    const findings = reports.flatMap((r) => r.findings);
    const waived = reports.flatMap((r) => r.waived);
    const evidence = await context.writeEvidence(
      `${context.step.id}.lint.txt`,
      `${renderLintReports(reports).join('\n')}\n`,
      'lint findings, with why and the safe rewrite',
    );
    const observed = { files: reports.map((r) => r.file), findings, waived };
    const expected = 'no lint finding that is not waived';
    if (findings.length === 0) {
      return {
        status: 'passed',
        expected,
        observed,
        evidence: [evidence],
        message: `no finding in ${reports.length} file(s)${waived.length > 0 ? ` (${waived.length} waived with a reason)` : ''}`,
      };
    }
    const first = findings[0]!;
    return {
      status: 'failed',
      expected,
      observed,
      evidence: [evidence],
      message: `${findings.length} lint finding(s); first: ${first.file}:${first.line} ${first.rule}: ${first.message}`,
    };
  },
};
