import type { Queryable } from '../db/database.js';
import { sqlFile } from '../db/sqlFile.js';
import { DatabaseError } from '../errors.js';
import type { FunctionName } from '../steps/shared/functionName.js';
import { callPattern, countingTrackFunctions, definitionPattern, type FunctionSource } from './functionSource.js';
import { withStatementsView } from './statementCalls.js';

const functionSourceSql = sqlFile(import.meta.url, './function_source.sql');
const statementsProbeSql = sqlFile(import.meta.url, './statements_probe.sql');

interface SourceRow {
  database: string;
  track_functions: string;
  statements_version: string | null;
  statements_schema: string | null;
  statements_track: string | null;
  statements_has_total_exec_time: boolean;
  statements_selectable: boolean;
  sees_all_roles: boolean;
}

/**
 * Where the function's calls and time can be read on this database: pg_stat_user_functions
 * when track_functions counts them, else pg_stat_statements when it is installed, loaded and
 * readable, else unavailable with the reason for both (said, not passed over).
 */
export async function detectFunctionSource(db: Queryable, fn: FunctionName): Promise<FunctionSource> {
  const row = (await db.query<SourceRow>(functionSourceSql)).rows[0]!;
  if (countingTrackFunctions.includes(row.track_functions)) {
    return { source: 'pg_stat_user_functions', track_functions: row.track_functions };
  }
  const untracked = `track_functions is '${row.track_functions}', so pg_stat_user_functions stays empty (a superuser can ALTER SYSTEM SET track_functions = 'pl')`;
  const problem = await statementsProblem(db, row);
  if (problem !== undefined) return { source: 'unavailable', reason: `${untracked}, and ${problem}` };
  return {
    source: 'pg_stat_statements',
    track_functions: row.track_functions,
    schema: row.statements_schema!,
    version: row.statements_version!,
    statements_matching: callPattern(fn),
    statements_not_matching: definitionPattern(fn),
    sees_all_roles: row.sees_all_roles,
  };
}

/** Why pg_stat_statements cannot stand in, or undefined when it can. */
async function statementsProblem(db: Queryable, row: SourceRow): Promise<string | undefined> {
  const name = 'pg_stat_statements';
  if (row.statements_version === null || row.statements_schema === null) {
    return `${name} is not installed in database ${row.database} (CREATE EXTENSION ${name}, with ${name} in shared_preload_libraries)`;
  }
  if (!row.statements_has_total_exec_time) {
    return `${name} ${row.statements_version} has no total_exec_time column: shipcheck reads it from version 1.8 (PostgreSQL 13) on (ALTER EXTENSION ${name} UPDATE)`;
  }
  if (!row.statements_selectable) return `this role may not read ${row.statements_schema}.${name}`;
  if (row.statements_track === 'none') return `${name}.track is 'none', so it records no statement`;
  try {
    await db.query(withStatementsView(statementsProbeSql, row.statements_schema));
  } catch (error) {
    if (error instanceof DatabaseError && error.sqlState === '55000') {
      return `${name} is installed but not loaded: it must be in shared_preload_libraries (then restart the server)`;
    }
    if (error instanceof DatabaseError && error.sqlState === '42501')
      return `this role may not read ${name}: ${error.message}`;
    throw error;
  }
  return undefined;
}
