import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { redactSecrets } from '../db/connectionString.js';
import { UsageError } from '../errors.js';
import { sha256 } from '../checklist/hash.js';
import type { EvidenceRecord } from '../steps/types.js';
import { ensurePrivateDir } from './runLog.js';

const safeName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;

/**
 * Writes a step's evidence file under evidence/<step>/ (a retry gets its own
 * folder, so nothing is overwritten): mode 0600, fsynced, sha256 recorded.
 * Text is passed through the secret filter as a last line of defence.
 */
export async function writeEvidenceFile(
  runDir: string,
  folder: string,
  name: string,
  content: string | Buffer,
  description: string,
  secrets: readonly string[],
): Promise<EvidenceRecord> {
  if (!safeName.test(name)) throw new UsageError(`evidence file name "${name}" is not a plain file name`);
  const bytes = typeof content === 'string' ? Buffer.from(redactSecrets(content, secrets)) : content;
  const relative = join('evidence', folder, name);
  await ensurePrivateDir(join(runDir, 'evidence', folder));
  const file = await open(join(runDir, relative), 'wx', 0o600);
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  return { path: relative, sha256: sha256(bytes), bytes: bytes.length, description };
}
