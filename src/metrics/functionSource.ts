import type { FunctionName } from '../steps/shared/functionName.js';

/**
 * Where a step reads the watched function's calls and mean time, chosen once at its start
 * and recorded as is (observed.function_source, samples.json, the report).
 */
export type FunctionSource =
  | {
      readonly source: 'pg_stat_user_functions';
      readonly track_functions: string;
    }
  | {
      readonly source: 'pg_stat_statements';
      readonly track_functions: string;
      /** The extension's schema and version in the target database. */
      readonly schema: string;
      readonly version: string;
      /** The regular expressions (case-insensitive) a statement's text must match, and must not, to count. */
      readonly statements_matching: string;
      readonly statements_not_matching: string;
      /** false: without pg_read_all_stats, other roles' statements show no text and are not counted. */
      readonly sees_all_roles: boolean;
    }
  | {
      readonly source: 'unavailable';
      readonly reason: string;
    };

/** track_functions values that make pg_stat_user_functions count PL/pgSQL functions. */
export const countingTrackFunctions: readonly string[] = ['pl', 'all'];

/**
 * A call of the function in a statement's text: its name as a whole word, maybe quoted,
 * then "(". Any schema: a query usually relies on search_path rather than naming one.
 */
export function callPattern(fn: FunctionName): string {
  return `\\m${escapedName(fn)}"?\\s*\\(`;
}

/** "function name(" is the function being created, altered, dropped or granted: not a call. */
export function definitionPattern(fn: FunctionName): string {
  return `\\m(function|procedure)\\s+(\\S+\\.)?"?${escapedName(fn)}"?\\s*\\(`;
}

function escapedName(fn: FunctionName): string {
  return fn.name.replace(/\$/g, '\\$');
}

/** The source in one line, for the progress, the message and the report. */
export function describeFunctionSource(source: FunctionSource): string {
  switch (source.source) {
    case 'pg_stat_user_functions':
      return `pg_stat_user_functions (track_functions = ${source.track_functions})`;
    case 'pg_stat_statements':
      return (
        `pg_stat_statements ${source.version} (track_functions = ${source.track_functions}): statements whose text calls the function, ` +
        "one call per statement, time = the statements' execution time" +
        (source.sees_all_roles ? '' : "; only this role's statements are visible (pg_read_all_stats shows all)")
      );
    case 'unavailable':
      return `unavailable: ${source.reason}`;
  }
}

/** A recorded source read back from an observation (the report, a monitor reading its baseline). */
export function recordedFunctionSource(observed: unknown): FunctionSource | null {
  const value = (observed as { function_source?: unknown } | null | undefined)?.function_source;
  if (typeof value !== 'object' || value === null) return null;
  const source = (value as { source?: unknown }).source;
  return source === 'pg_stat_user_functions' || source === 'pg_stat_statements' || source === 'unavailable'
    ? (value as FunctionSource)
    : null;
}
