import { resolve } from 'node:path';
import { z } from 'zod';
import { type FolderSpec, type MigrationFormat, migrationFormats } from '../../db/migrations/formats.js';
import { shieldSource } from '../../db/migrations/history.js';
import { migrationsDir } from '../../paths.js';

/** The fields `migrate` and `rollback` share to say where their migrations are and how they are named. */
export const folderFields = {
  format: z
    .enum(migrationFormats)
    .default('shipcheck')
    .describe(
      'how the folder names its migrations and where they are recorded: shipcheck (NNN_name.sql, shipcheck.migrations), supabase (<14-digit timestamp>_name.sql, supabase_migrations.schema_migrations), flyway (V<version>__<description>.sql with U… undo scripts, flyway_schema_history) or plain (the `files` list, shipcheck.migrations)',
    ),
  files: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      "format plain: the migration files in the order they apply, relative to the directory (default: the checklist's)",
    ),
  scripts: z
    .record(
      z.string().min(1),
      z.strictObject({
        revert: z
          .string()
          .min(1)
          .optional()
          .describe('the revert script: a path ending in .sql (relative to the checklist) or the SQL itself'),
        verify: z
          .string()
          .min(1)
          .optional()
          .describe('the verify script: a path ending in .sql (relative to the checklist) or the SQL itself'),
      }),
    )
    .optional()
    .describe(
      'revert/verify scripts named per migration (by id or name), for a folder whose tool keeps none; they win over files found beside the migration',
    ),
};

/** Ids a format's names allow: "024", "20240101120000", "1.1", a plain file's name. */
export const migrationIdPattern = /^[A-Za-z0-9_.-]{1,200}$/;
const shipcheckId = /^\d{3}(_[a-z0-9_]+)?$/;

/** Refines a step whose `field` names a migration: the format says what an id looks like. */
export function checkFolderFields(
  spec: { format: MigrationFormat; files?: readonly string[] | undefined; [key: string]: unknown },
  field: string,
  context: z.RefinementCtx,
): void {
  const id = spec[field];
  if (spec.format === 'shipcheck' && typeof id === 'string' && !shipcheckId.test(id)) {
    context.addIssue({
      code: 'custom',
      path: [field],
      message: `${field} is an id like "024" or a name like "024_atomic_user_behavior_updates"`,
    });
  }
  if ((spec.format === 'plain') !== (spec.files !== undefined)) {
    context.addIssue({
      code: 'custom',
      path: ['files'],
      message:
        spec.format === 'plain'
          ? 'format plain lists its migrations in files: [a.sql, b.sql]'
          : 'files is for format plain only',
    });
  }
}

export interface FolderFieldValues {
  readonly format: MigrationFormat;
  readonly files?: readonly string[] | undefined;
  readonly scripts?: Readonly<Record<string, { revert?: string | undefined; verify?: string | undefined }>> | undefined;
}

/** The folder a step's fields describe; `directory` as written in the checklist (relative to it). */
export function folderOf(fields: FolderFieldValues, directory: string | undefined, checklistDir: string): FolderSpec {
  const base = fields.format === 'plain' ? checklistDir : migrationsDir;
  const scripts =
    fields.scripts &&
    Object.fromEntries(
      Object.entries(fields.scripts).map(([id, s]) => [
        id,
        { ...(s.revert !== undefined && { revert: s.revert }), ...(s.verify !== undefined && { verify: s.verify }) },
      ]),
    );
  return {
    format: fields.format,
    directory: directory === undefined ? base : resolve(checklistDir, directory),
    ...(fields.files && { files: fields.files }),
    ...(scripts && { scripts }),
    baseDir: checklistDir,
  };
}

/** shipcheck.migrations' namespace for a step: `source`, else the directory as written, else Shield's (or "plain"). */
export function sourceOf(fields: FolderFieldValues, source: string | undefined, directory: string | undefined): string {
  return source ?? directory ?? (fields.format === 'plain' ? 'plain' : shieldSource);
}
