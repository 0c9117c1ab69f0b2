import { crc32 } from 'node:zlib';

/**
 * Flyway's checksum of a SQL script: CRC32 over the UTF-8 bytes of its lines without their
 * terminators (a leading BOM dropped), as a signed 32-bit integer. It is line-ending
 * independent, so a file checked out with CRLF matches the row Flyway wrote from LF.
 *
 * @example
 * flywayChecksum('create table t (a int);\n') === flywayChecksum('create table t (a int);\r\n') // true
 */
export function flywayChecksum(sql: string): number {
  const lines = sql.replace(/^\uFEFF/, '').replace(/[\r\n]/g, '');
  return crc32(Buffer.from(lines, 'utf8')) | 0;
}
