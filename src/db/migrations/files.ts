import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { type FolderSpec, listFolder, type ScriptSource } from './formats.js';
import { flywayChecksum } from './flywayChecksum.js';

export interface MigrationFile {
  /** The version: "024", a Supabase timestamp, a Flyway version ("1.1"), a plain file's name. */
  readonly id: string;
  /** The file name without extension, e.g. "024_atomic_user_behavior_updates". */
  readonly name: string;
  readonly deploySql: string;
  readonly revertSql: string | undefined;
  readonly verifySql: string | undefined;
  /** sha256 of the deploy script (Flyway's CRC32 for `flyway`): an applied migration whose file changed is refused. */
  readonly checksum: string;
  /** The deploy script's file name (Flyway's `script`); absent on migrations built by hand. */
  readonly file?: string;
  /** The name after the version: Supabase's `name`, Flyway's `description`. */
  readonly description?: string;
}

/**
 * Reads `NNN_name.sql` deploy scripts in id order, with their optional
 * `NNN_name.revert.sql` and `NNN_name.verify.sql` companions (Sqitch-style).
 */
export function readMigrations(directory: string): Promise<MigrationFile[]> {
  return readFolder({ format: 'shipcheck', directory });
}

/**
 * Reads a folder of any format in the order its migrations apply, with the revert and verify
 * scripts found beside them or named in the checklist. Two files with one version are refused,
 * naming both.
 */
export async function readFolder(spec: FolderSpec): Promise<MigrationFile[]> {
  const listing = listFolder(spec);
  if (listing.duplicates.length > 0) {
    throw new UsageError(`two migrations share a version in ${spec.directory}: ${listing.duplicates.join('; ')}`, {
      code: 'duplicate_migration',
    });
  }
  return Promise.all(
    listing.migrations.map(async (m) => {
      const deploySql = await readFile(m.path, 'utf8');
      return {
        id: m.id,
        name: m.name,
        file: m.file,
        description: m.description,
        deploySql,
        revertSql: await readSource(m.revert),
        verifySql: await readSource(m.verify),
        checksum:
          spec.format === 'flyway'
            ? String(flywayChecksum(deploySql))
            : createHash('sha256').update(deploySql).digest('hex'),
      };
    }),
  );
}

async function readSource(source: ScriptSource | undefined): Promise<string | undefined> {
  if (source === undefined) return undefined;
  return source.kind === 'inline' ? source.sql : readFile(source.path, 'utf8');
}
