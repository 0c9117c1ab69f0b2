import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { type FolderSpec, listFolder, type ScriptSource } from './formats.js';
import { flywayChecksum } from './flywayChecksum.js';

export interface MigrationFile {
  /** The numeric prefix, e.g. "024". */
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

const deployFile = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/**
 * Reads `NNN_name.sql` deploy scripts in id order, with their optional
 * `NNN_name.revert.sql` and `NNN_name.verify.sql` companions (Sqitch-style).
 */
export async function readMigrations(directory: string): Promise<MigrationFile[]> {
  const entries = (await readdir(directory)).sort();
  const migrations: MigrationFile[] = [];
  const seenIds = new Set<string>();
  for (const entry of entries) {
    const match = deployFile.exec(entry);
    if (!match) continue;
    const id = match[1]!;
    if (seenIds.has(id)) throw new UsageError(`two migrations share the id ${id} in ${directory}`);
    seenIds.add(id);
    const name = entry.slice(0, -'.sql'.length);
    const deploySql = await readFile(join(directory, entry), 'utf8');
    migrations.push({
      id,
      name,
      deploySql,
      revertSql: await readOptional(join(directory, `${name}.revert.sql`)),
      verifySql: await readOptional(join(directory, `${name}.verify.sql`)),
      checksum: createHash('sha256').update(deploySql).digest('hex'),
    });
  }
  return migrations;
}

/** A migration as its file names say: what a checklist may refer to, without reading the scripts. */
export interface MigrationListing {
  readonly id: string;
  readonly name: string;
  readonly hasRevert: boolean;
  readonly hasVerify: boolean;
}

/**
 * The migrations of a directory by file name only, in id order, synchronously: the checklist
 * loader checks the ids its steps name when the file is loaded, before anything runs.
 * Throws the fs error (ENOENT, ENOTDIR…) when the directory cannot be read.
 *
 * @example
 * listMigrationFiles(migrationsDir).find((m) => m.id === '024')?.hasRevert // true
 */
export function listMigrationFiles(directory: string): MigrationListing[] {
  const entries = new Set(readdirSync(directory));
  return [...entries]
    .sort()
    .flatMap((entry) => {
      const match = deployFile.exec(entry);
      if (!match) return [];
      const name = entry.slice(0, -'.sql'.length);
      return [{ id: match[1]!, name, hasRevert: entries.has(`${name}.revert.sql`), hasVerify: entries.has(`${name}.verify.sql`) }];
    });
}

/**
 * Reads a folder of any format in the order its migrations apply, with the revert and verify
 * scripts found beside them or named in the checklist. Two files with one version are refused,
 * naming both.
 */
export async function readFolder(spec: FolderSpec): Promise<MigrationFile[]> {
  const listing = listFolder(spec);
  if (listing.duplicates.length > 0) {
    throw new UsageError(`two migrations share a version in ${spec.directory}: ${listing.duplicates.join('; ')}`, { code: 'duplicate_migration' });
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
        checksum: spec.format === 'flyway' ? String(flywayChecksum(deploySql)) : createHash('sha256').update(deploySql).digest('hex'),
      };
    }),
  );
}

async function readSource(source: ScriptSource | undefined): Promise<string | undefined> {
  if (source === undefined) return undefined;
  return source.kind === 'inline' ? source.sql : readFile(source.path, 'utf8');
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
