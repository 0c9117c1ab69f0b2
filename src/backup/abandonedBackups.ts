import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvidenceRecord } from '../steps/types.js';
import { partialSuffix } from './backupTables.js';

/**
 * Backup files an interrupted attempt of a backup step left in `<runDir>/backups/` (still
 * named `.partial`: a killed shipcheck, or pg_dump orphaned by it). Recorded as abandoned
 * evidence with their checksum, so the run log accounts for every file in the run
 * directory, and never as a backup: a restore reads the step's first evidence only.
 *
 * @example
 * await abandonedBackups(runDir, 'backup-') // [{ path: 'backups/backup-20260101-101500.sql.partial', description: 'abandoned: …' }]
 */
export async function abandonedBackups(runDir: string, stemPrefix: string): Promise<EvidenceRecord[]> {
  const names = await readdir(join(runDir, 'backups')).catch(() => [] as string[]);
  const found: EvidenceRecord[] = [];
  for (const name of names.filter((n) => n.startsWith(stemPrefix) && n.endsWith(partialSuffix)).sort()) {
    const path = join('backups', name);
    const info = await stat(join(runDir, path));
    found.push({
      path,
      sha256: await sha256Of(join(runDir, path)),
      bytes: info.size,
      description: 'abandoned: the incomplete output of an interrupted backup attempt, not a backup',
    });
  }
  return found;
}

function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
