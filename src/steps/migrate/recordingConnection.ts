import pg from 'pg';
import { type Queryable, type QueryResult, toDatabaseError } from '../../db/database.js';

/**
 * A dedicated connection that keeps what the server says besides rows: the command
 * tag of every statement (a migration script answers CREATE FUNCTION, COMMENT,
 * GRANT, …) and every notice. The pooled `Database` does not expose either.
 */
export interface RecordingConnection extends Queryable {
  /** Command tags and notices since the last call, then forgets them. */
  drain(): { commands: string[]; notices: string[] };
  close(): Promise<void>;
}

export async function openRecordingConnection(connectionString: string, applicationName: string): Promise<RecordingConnection> {
  const client = new pg.Client({ connectionString, application_name: applicationName });
  client.on('error', () => {});
  let commands: string[] = [];
  let notices: string[] = [];
  client.on('notice', (notice) => notices.push(`${notice.severity ?? 'NOTICE'}: ${notice.message}`));
  // node-pg's result.command keeps only the first word ("CREATE"); the protocol message has the whole tag.
  client.connection.on('commandComplete', (message: { text?: string }) => {
    if (message.text) commands.push(message.text.replace(/( \d+)+$/, ''));
  });
  try {
    await client.connect();
  } catch (error) {
    throw toDatabaseError(error);
  }
  return {
    async query<Row extends object = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      let result: pg.QueryResult<Row> | pg.QueryResult<Row>[];
      try {
        // A script of several statements answers with one result per statement; the last one counts.
        result = (await client.query<Row>(sql, params as unknown[])) as pg.QueryResult<Row> | pg.QueryResult<Row>[];
      } catch (error) {
        throw toDatabaseError(error, sql);
      }
      const last = (Array.isArray(result) ? result.at(-1) : result)!;
      return { rows: last.rows, rowCount: last.rowCount ?? 0, command: last.command };
    },
    drain() {
      const drained = { commands, notices };
      commands = [];
      notices = [];
      return drained;
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}
