import type { Queryable } from '../../db/database.js';
import { openDedicatedConnection } from '../../db/dedicatedConnection.js';

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

export async function openRecordingConnection(
  connectionString: string,
  applicationName: string,
): Promise<RecordingConnection> {
  let commands: string[] = [];
  let notices: string[] = [];
  const { query, close } = await openDedicatedConnection(connectionString, applicationName, (client) => {
    client.on('notice', (notice) => notices.push(`${notice.severity ?? 'NOTICE'}: ${notice.message}`));
    // node-pg's result.command keeps only the first word ("CREATE"); the protocol message has the whole tag.
    client.connection.on('commandComplete', (message: { text?: string }) => {
      if (message.text) commands.push(message.text.replace(/( \d+)+$/, ''));
    });
  });
  return {
    query,
    close,
    drain() {
      const drained = { commands, notices };
      commands = [];
      notices = [];
      return drained;
    },
  };
}
