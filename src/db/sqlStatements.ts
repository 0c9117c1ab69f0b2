import { parse, type SqlError } from 'libpg-query';
import { UsageError } from '../errors.js';

/** One statement of a migration file as the PostgreSQL parser sees it. */
export interface ParsedStatement {
  /** The parse-tree node type, e.g. "IndexStmt", "AlterTableStmt". */
  readonly type: string;
  /** The node's fields (libpg_query's JSON form). */
  readonly node: AstNode;
  /** 1-based line and column of the statement's first token in the file. */
  readonly line: number;
  readonly column: number;
  /** The statement's text, trimmed (for messages and `--json`). */
  readonly text: string;
  /** The comment lines just above the statement (where waivers are written). */
  readonly leadingComments: readonly string[];
}

// biome-ignore lint/suspicious/noExplicitAny: the parse tree is PostgreSQL's, as JSON; rules read it defensively.
export type AstNode = Record<string, any>;

/**
 * Splits a migration into statements with PostgreSQL's own parser (libpg_query, compiled
 * to WebAssembly), so dollar quotes, nested comments and `;` inside strings are handled as
 * the server handles them, never by a regular expression.
 *
 * @example
 * const [first] = await parseStatements('create index i on t (a);', 'x.sql');
 * first.type // 'IndexStmt'
 */
export async function parseStatements(sql: string, file: string): Promise<ParsedStatement[]> {
  let tree: { stmts?: { stmt?: unknown; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = await parse(sql);
  } catch (error) {
    throw parseFailure(error, sql, file);
  }
  // libpg_query reports byte offsets into the UTF-8 text.
  const bytes = Buffer.from(sql, 'utf8');
  let previousEnd = 0;
  return (tree.stmts ?? []).map((entry) => {
    const start = entry.stmt_location ?? 0;
    const end = entry.stmt_len ? start + entry.stmt_len : bytes.length;
    // The parser may place a statement's start before or after the comments above it:
    // read the gap since the previous statement and the statement's own leading trivia.
    const gap = bytes.subarray(Math.min(previousEnd, start), start).toString('utf8');
    previousEnd = end;
    const raw = bytes.subarray(start, end).toString('utf8');
    const { comments, offset } = leadingTrivia(raw);
    const before = bytes.subarray(0, start).toString('utf8') + raw.slice(0, offset);
    const lines = before.split('\n');
    const [type, node] = Object.entries((entry.stmt ?? {}) as AstNode)[0] ?? ['Unknown', {}];
    return {
      type,
      node: node as AstNode,
      line: lines.length,
      column: (lines.at(-1)?.length ?? 0) + 1,
      text: raw.slice(offset).trim(),
      leadingComments: [...lineComments(gap), ...comments],
    };
  });
}

/** The `--` comments in a stretch of text between statements (a `;` ends the previous one). */
function lineComments(text: string): string[] {
  const afterSemicolon = text.startsWith(';') ? text.slice(1) : text;
  return leadingTrivia(afterSemicolon).comments;
}

/** Skips white space and comments before a statement's first token, keeping `--` comments. */
function leadingTrivia(raw: string): { comments: string[]; offset: number } {
  const comments: string[] = [];
  let offset = 0;
  for (;;) {
    const rest = raw.slice(offset);
    const space = /^\s+/.exec(rest);
    if (space) {
      offset += space[0].length;
      continue;
    }
    if (rest.startsWith('--')) {
      const endOfLine = rest.indexOf('\n');
      const comment = endOfLine === -1 ? rest : rest.slice(0, endOfLine);
      comments.push(comment.slice(2).trim());
      offset += comment.length;
      continue;
    }
    if (rest.startsWith('/*')) {
      const close = rest.indexOf('*/');
      offset += close === -1 ? rest.length : close + 2;
      continue;
    }
    return { comments, offset };
  }
}

function parseFailure(error: unknown, sql: string, file: string): UsageError {
  const details = (error as SqlError).sqlDetails;
  const message = (error as Error).message ?? String(error);
  if (details?.cursorPosition !== undefined) {
    const lines = Buffer.from(sql, 'utf8').subarray(0, details.cursorPosition).toString('utf8').split('\n');
    return new UsageError(
      `${file}:${lines.length}:${(lines.at(-1)?.length ?? 0) + 1}: PostgreSQL's parser refused it: ${message}`,
      {
        code: 'lint_parse_error',
      },
    );
  }
  return new UsageError(`${file}: PostgreSQL's parser refused it: ${message}`, { code: 'lint_parse_error' });
}

/**
 * Why a statement cannot run inside a transaction block, or undefined when it can
 * (PostgreSQL refuses these with "… cannot run inside a transaction block").
 */
export function outsideTransactionReason({ type, node }: ParsedStatement): string | undefined {
  if (type === 'IndexStmt' && node.concurrent) return 'CREATE INDEX CONCURRENTLY';
  if (type === 'DropStmt' && node.concurrent) return 'DROP INDEX CONCURRENTLY';
  if (type === 'ReindexStmt' && hasOption(node.params, 'concurrently')) return 'REINDEX CONCURRENTLY';
  if (type === 'VacuumStmt' && node.is_vacuumcmd) return 'VACUUM';
  if (type === 'AlterSystemStmt') return 'ALTER SYSTEM';
  if (type === 'CreatedbStmt') return 'CREATE DATABASE';
  if (type === 'DropdbStmt') return 'DROP DATABASE';
  if (type === 'CreateTableSpaceStmt') return 'CREATE TABLESPACE';
  if (type === 'DropTableSpaceStmt') return 'DROP TABLESPACE';
  return undefined;
}

function hasOption(params: unknown, name: string): boolean {
  return Array.isArray(params) && params.some((p: { DefElem?: { defname?: string } }) => p.DefElem?.defname === name);
}
