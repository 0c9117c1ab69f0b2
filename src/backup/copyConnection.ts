import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { type Queryable, toDatabaseError } from '../db/database.js';
import { openDedicatedConnection } from '../db/dedicatedConnection.js';

/**
 * One dedicated connection that can also stream COPY, which the pooled `Database`
 * cannot (pg-copy-streams needs the raw client). Backups and restores use it for
 * the whole of their transaction, so the snapshot and the COPY see the same data.
 */
export interface CopyConnection extends Queryable {
  /** Streams `COPY … TO STDOUT` chunk by chunk into `write`; returns the number of rows. */
  copyOut(sql: string, write: (chunk: Buffer) => Promise<unknown>): Promise<number>;
  /** Feeds `data` (COPY text format, one row per line) to `COPY … FROM STDIN`. */
  copyIn(sql: string, data: string): Promise<void>;
  close(): Promise<void>;
}

export async function openCopyConnection(
  connectionString: string,
  applicationName = 'shipcheck backup',
): Promise<CopyConnection> {
  const { client, query, close } = await openDedicatedConnection(connectionString, applicationName);
  return {
    query,
    close,
    async copyOut(sql, write) {
      const stream = client.query(copyTo(sql));
      let rows = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          // COPY text format escapes newlines inside values, so each newline ends one row.
          for (const byte of chunk) if (byte === 0x0a) rows++;
          await write(chunk);
        }
      } catch (error) {
        throw toDatabaseError(error, sql);
      }
      return rows;
    },
    async copyIn(sql, data) {
      const stream = client.query(copyFrom(sql));
      try {
        await new Promise<void>((resolve, reject) => {
          stream.on('error', reject);
          stream.on('finish', resolve);
          stream.end(data);
        });
      } catch (error) {
        throw toDatabaseError(error, sql);
      }
    },
  };
}
