import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';

/** How a team's migration folder is laid out, and which tool's history table records it. */
export const migrationFormats = ['shipcheck', 'supabase', 'flyway', 'plain'] as const;
export type MigrationFormat = (typeof migrationFormats)[number];

/** A revert or verify script named in the checklist: a path (relative to the checklist) or the SQL itself. */
export interface ExplicitScripts {
  readonly revert?: string;
  readonly verify?: string;
}

/** Where a step's migrations come from. */
export interface FolderSpec {
  readonly format: MigrationFormat;
  /** Absolute; for `plain`, the directory `files` are relative to. */
  readonly directory: string;
  /** `plain`: the files, in the order they apply. */
  readonly files?: readonly string[];
  /** Scripts named in the checklist, by migration id or name; they win over files found beside the migration. */
  readonly scripts?: Readonly<Record<string, ExplicitScripts>>;
  /** The directory explicit script paths are relative to (the checklist's). */
  readonly baseDir?: string;
}

export type ScriptSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'inline'; readonly sql: string };

/** A migration as its file name says, before anything is read. */
export interface ListedMigration {
  /** The version: "024", "20240101120000", "1.1"; for `plain`, the file name without `.sql`. */
  readonly id: string;
  /** The file name without `.sql`. */
  readonly name: string;
  /** The deploy script's file name, as the team's tool records it (Flyway's `script`). */
  readonly file: string;
  readonly path: string;
  /** The name part after the version: Supabase's `name`, Flyway's `description` (underscores as spaces). */
  readonly description: string;
  readonly revert: ScriptSource | undefined;
  readonly verify: ScriptSource | undefined;
}

export interface FolderListing {
  /** In the order they apply. */
  readonly migrations: readonly ListedMigration[];
  /** Names that are not a migration of the format, scripts without their migration: listed, never skipped silently. */
  readonly problems: readonly string[];
  /** Two files with one version: "version 1.1: V1.1__a.sql and V1_1__b.sql". */
  readonly duplicates: readonly string[];
}

const shipcheckDeploy = /^(\d{3})_([a-z0-9_]+)\.sql$/;
const shipcheckCompanion = /^(\d{3}_[a-z0-9_]+)\.(revert|verify)\.sql$/;
const supabaseDeploy = /^(\d{14})_(.+)\.sql$/;
const flywayScript = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;

/**
 * Lists a migration folder in its format's order, synchronously: the checklist loader checks
 * what steps name before anything runs. Throws the fs error when the directory cannot be read.
 *
 * @example
 * listFolder({ format: 'flyway', directory: '/repo/sql' }).migrations.map((m) => m.id) // ['1', '1.1', '2']
 */
export function listFolder(spec: FolderSpec): FolderListing {
  const problems: string[] = [];
  const found = spec.format === 'plain' ? listPlain(spec, problems) : listDirectory(spec, problems);
  const duplicates: string[] = [];
  const byVersion = new Map<string, ListedMigration>();
  for (const migration of found) {
    const key = spec.format === 'flyway' ? flywayKey(migration.id) : migration.id;
    const first = byVersion.get(key);
    if (first) duplicates.push(`version ${migration.id}: ${first.file} and ${migration.file}`);
    else byVersion.set(key, migration);
  }
  const migrations = [...byVersion.values()];
  if (spec.format !== 'plain') migrations.sort((a, b) => compareVersions(spec.format, a.id, b.id));
  const withExplicit = migrations.map((m) => withExplicitScripts(m, spec, problems));
  for (const key of Object.keys(spec.scripts ?? {})) {
    if (!migrations.some((m) => namesMigration(m, key)))
      problems.push(`scripts named for "${key}", which is not a migration of the folder`);
  }
  return { migrations: withExplicit, problems, duplicates };
}

/**
 * Whether `reference` (as a checklist or command line writes it) names `migration`: its id, its
 * file name without .sql, or a Flyway version written with underscores as in its file name ("1_1").
 */
export function namesMigration(migration: { readonly id: string; readonly name: string }, reference: string): boolean {
  return (
    migration.id === reference ||
    migration.name === reference ||
    (/^\d+(_\d+)+$/.test(reference) && migration.id === reference.replaceAll('_', '.'))
  );
}

/** Orders two versions of a format: Flyway's part by part as numbers, others as written (fixed width). */
export function compareVersions(format: MigrationFormat, a: string, b: string): number {
  if (format !== 'flyway') return a < b ? -1 : a > b ? 1 : 0;
  const left = a.split('.').map(BigInt);
  const right = b.split('.').map(BigInt);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    // Flyway reads 1 and 1.0 as one version: missing parts are zeros.
    const x = left[i] ?? 0n;
    const y = right[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The version's identity for duplicates: 1.1, 1_1 and 1.1.0 are one version to Flyway. */
function flywayKey(version: string): string {
  const parts = version.split('.').map((p) => BigInt(p).toString());
  while (parts.length > 1 && parts.at(-1) === '0') parts.pop();
  return parts.join('.');
}

function listDirectory(spec: FolderSpec, problems: string[]): ListedMigration[] {
  const entries = readdirSync(spec.directory)
    .filter((entry) => !entry.startsWith('.') && isFile(resolve(spec.directory, entry)))
    .sort();
  const names = new Set(entries);
  const migrations: ListedMigration[] = [];
  const companions: { entry: string; of: string }[] = [];
  const undo = new Map<string, string>();
  for (const entry of entries) {
    const path = resolve(spec.directory, entry);
    const name = entry.slice(0, -'.sql'.length);
    if (spec.format === 'shipcheck') {
      const deploy = shipcheckDeploy.exec(entry);
      const companion = shipcheckCompanion.exec(entry);
      if (companion) companions.push({ entry, of: `${companion[1]}.sql` });
      else if (deploy) {
        const file = (kind: string) =>
          names.has(`${name}.${kind}.sql`)
            ? { kind: 'file' as const, path: resolve(spec.directory, `${name}.${kind}.sql`) }
            : undefined;
        migrations.push({
          id: deploy[1]!,
          name,
          file: entry,
          path,
          description: deploy[2]!,
          revert: file('revert'),
          verify: file('verify'),
        });
      } else
        problems.push(
          `${entry}: not a shipcheck migration name (NNN_name.sql, NNN_name.revert.sql, NNN_name.verify.sql)`,
        );
    } else if (spec.format === 'supabase') {
      const deploy = supabaseDeploy.exec(entry);
      if (deploy)
        migrations.push({
          id: deploy[1]!,
          name,
          file: entry,
          path,
          description: deploy[2]!,
          revert: undefined,
          verify: undefined,
        });
      else problems.push(`${entry}: not a Supabase migration name (<14-digit timestamp>_name.sql)`);
    } else {
      const script = flywayScript.exec(entry);
      if (!script) {
        const repeatable = entry.startsWith('R__') ? ' (repeatable migrations are not supported)' : '';
        problems.push(
          `${entry}: not a Flyway versioned migration name (V<version>__<description>.sql, U<version>__<description>.sql)${repeatable}`,
        );
        continue;
      }
      const version = script[2]!.replaceAll('_', '.');
      if (script[1] === 'U') undo.set(flywayKey(version), entry);
      else
        migrations.push({
          id: version,
          name,
          file: entry,
          path,
          description: script[3]!.replaceAll('_', ' '),
          revert: undefined,
          verify: undefined,
        });
    }
  }
  for (const { entry, of } of companions) {
    if (!names.has(of)) problems.push(`${entry}: no migration ${of} for it`);
  }
  const withUndo = migrations.map((m) => {
    const entry = undo.get(flywayKey(m.id));
    if (entry === undefined) return m;
    undo.delete(flywayKey(m.id));
    return { ...m, revert: { kind: 'file' as const, path: resolve(spec.directory, entry) } };
  });
  for (const entry of undo.values()) problems.push(`${entry}: an undo script without its V migration`);
  return withUndo;
}

function listPlain(spec: FolderSpec, problems: string[]): ListedMigration[] {
  return (spec.files ?? []).flatMap((file) => {
    const path = resolve(spec.directory, file);
    if (!isFile(path)) {
      problems.push(`${file}: no such file`);
      return [];
    }
    const name = basename(file).replace(/\.sql$/, '');
    return [{ id: name, name, file: basename(file), path, description: name, revert: undefined, verify: undefined }];
  });
}

function withExplicitScripts(migration: ListedMigration, spec: FolderSpec, problems: string[]): ListedMigration {
  const named = spec.scripts?.[migration.id] ?? spec.scripts?.[migration.name];
  if (!named) return migration;
  const source = (kind: 'revert' | 'verify', value: string | undefined): ScriptSource | undefined => {
    if (value === undefined) return migration[kind];
    if (!looksLikePath(value)) return { kind: 'inline', sql: value };
    const path = isAbsolute(value) ? value : resolve(spec.baseDir ?? spec.directory, value);
    if (!existsSync(path)) {
      problems.push(`${kind} script ${value} for ${migration.name}: no such file`);
      return undefined;
    }
    return { kind: 'file', path };
  };
  return { ...migration, revert: source('revert', named.revert), verify: source('verify', named.verify) };
}

/** A single-line value ending in .sql is a path; anything else is the SQL itself. */
function looksLikePath(value: string): boolean {
  return /^[^\s;]+\.sql$/.test(value.trim());
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
