import type { Queryable } from './database.js';
import { sqlFile } from './sqlFile.js';

/** PostgreSQL's table lock modes, weakest first (the order of the conflict table in its docs). */
export const lockModes = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;

export type LockMode = (typeof lockModes)[number];

/** 'SHARE UPDATE EXCLUSIVE', 'share update exclusive' or 'ShareUpdateExclusiveLock' → 'ShareUpdateExclusiveLock'. */
export function parseLockMode(text: string): LockMode | undefined {
  const compact = text
    .replace(/[\s_]+/g, '')
    .toLowerCase()
    .replace(/lock$/, '');
  return lockModes.find((mode) => mode.toLowerCase().replace(/lock$/, '') === compact);
}

/** 'ShareUpdateExclusiveLock' → 'SHARE UPDATE EXCLUSIVE', as the docs and LOCK TABLE write it. */
export function lockModeName(mode: LockMode): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

export function isStronger(a: LockMode, b: LockMode): boolean {
  return lockModes.indexOf(a) > lockModes.indexOf(b);
}

/** Conflicts with the ACCESS SHARE lock every SELECT takes. */
export function blocksReads(mode: LockMode): boolean {
  return mode === 'AccessExclusiveLock';
}

/** Conflicts with the ROW EXCLUSIVE lock every INSERT, UPDATE and DELETE takes. */
export function blocksWrites(mode: LockMode): boolean {
  return lockModes.indexOf(mode) >= lockModes.indexOf('ShareLock');
}

/** The strongest lock this session holds on each ordinary table, keyed `schema.table`. */
export async function tableLocksHeld(client: Queryable): Promise<Map<string, LockMode>> {
  const { rows } = await client.query<{ relation: string; mode: LockMode }>(
    sqlFile(import.meta.url, './sql/table_locks_held.sql'),
  );
  const held = new Map<string, LockMode>();
  for (const { relation, mode } of rows) {
    const current = held.get(relation);
    if (current === undefined || isStronger(mode, current)) held.set(relation, mode);
  }
  return held;
}

/** Each ordinary table's storage file (`schema.table` → relfilenode): a new one means the table was rewritten. */
export async function tableFilenodes(client: Queryable): Promise<Map<string, string>> {
  const { rows } = await client.query<{ relation: string; filenode: string }>(
    sqlFile(import.meta.url, './sql/table_filenodes.sql'),
  );
  return new Map(rows.map((r) => [r.relation, r.filenode]));
}

/** A session that holds a lock on a table someone waited for. */
export interface LockHolder {
  readonly pid: number;
  readonly mode: string;
  readonly applicationName: string;
  readonly user: string;
  readonly state: string;
  /** Seconds since its transaction began. */
  readonly transactionSeconds: number | null;
  readonly query: string;
}

/** Who else holds granted locks on `relation` ('schema.table' or 'table'), oldest transaction first. */
export async function lockHolders(client: Queryable, relation: string): Promise<LockHolder[]> {
  const { rows } = await client.query<{
    pid: number;
    mode: string;
    application_name: string;
    usename: string;
    state: string;
    transaction_seconds: number | null;
    query: string;
  }>(sqlFile(import.meta.url, './sql/lock_holders.sql'), [relation]);
  return rows.map((r) => ({
    pid: r.pid,
    mode: r.mode,
    applicationName: r.application_name,
    user: r.usename,
    state: r.state,
    transactionSeconds: r.transaction_seconds,
    query: r.query,
  }));
}

/** "pid 4242 (app psql, user alice, idle in transaction for 31 s: select … )" */
export function describeHolder(holder: LockHolder): string {
  const since = holder.transactionSeconds === null ? '' : ` for ${Math.round(holder.transactionSeconds)} s`;
  const query = holder.query.replace(/\s+/g, ' ').trim().slice(0, 80);
  return `pid ${holder.pid} (${holder.applicationName || 'no application_name'}, user ${holder.user}, ${holder.state}${since}, holds ${holder.mode}${query ? `: ${query}` : ''})`;
}
