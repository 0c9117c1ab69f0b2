import {
  blocksReads,
  blocksWrites,
  isStronger,
  type LockMode,
  lockModeName,
  parseLockMode,
  tableFilenodes,
  tableLocksHeld,
} from '../locks.js';
import type { Queryable } from '../database.js';

/** What one statement of a migration did, measured on the server inside the migration's transaction. */
export interface StatementReport {
  /** 1-based line of the statement in its file. */
  readonly line: number;
  /** Its first line, for the reader. */
  readonly statement: string;
  readonly durationMs: number;
  /** Locks it took (or strengthened) on tables that existed before the migration, strongest mode each. */
  readonly locks: readonly StatementLock[];
  /** Tables it rewrote (their storage file changed): every row copied under the lock. */
  readonly rewritten: readonly string[];
  /** Set when the statement was not run here, and why (a rehearsal cannot run CREATE INDEX CONCURRENTLY). */
  readonly skipped?: string;
  /** Set when locks could not be measured (the statement ran outside a transaction). */
  readonly unmeasured?: string;
}

export interface StatementLock {
  readonly table: string;
  /** As PostgreSQL's docs write it, e.g. SHARE UPDATE EXCLUSIVE. */
  readonly mode: string;
  readonly blocksReads: boolean;
  readonly blocksWrites: boolean;
}

/** Limits a checklist sets on what a migration may do to its hot tables. */
export interface LockLimits {
  /** Tables the limits apply to, `schema.table` (no schema: public). */
  readonly tables: readonly string[];
  /** The strongest lock mode allowed on them. */
  readonly maxLock?: LockMode;
  /** No rewrite of them at all. */
  readonly forbidRewrite?: boolean;
}

/**
 * Watches the locks a transaction accumulates (they are held until it ends, so each
 * statement's are what is new or stronger since the previous one) and the tables'
 * storage files, on the migration's own connection.
 */
export class LockObserver {
  #held = new Map<string, LockMode>();
  #filenodes = new Map<string, string>();
  #existing = new Set<string>();

  private constructor(private readonly client: Queryable) {}

  static async start(client: Queryable): Promise<LockObserver> {
    const observer = new LockObserver(client);
    observer.#held = await tableLocksHeld(client);
    observer.#filenodes = await tableFilenodes(client);
    observer.#existing = new Set(observer.#filenodes.keys());
    return observer;
  }

  /** What the statement just run added: new or stronger locks, and rewrites, on tables that existed before. */
  async afterStatement(): Promise<Pick<StatementReport, 'locks' | 'rewritten'>> {
    const held = await tableLocksHeld(this.client);
    const filenodes = await tableFilenodes(this.client);
    const locks: StatementLock[] = [];
    for (const [table, mode] of held) {
      if (!this.#existing.has(table)) continue; // created by this migration: nobody else can be waiting on it
      const before = this.#held.get(table);
      if (before !== undefined && !isStronger(mode, before)) continue;
      locks.push({ table, mode: lockModeName(mode), blocksReads: blocksReads(mode), blocksWrites: blocksWrites(mode) });
    }
    const rewritten = [...filenodes]
      .filter(
        ([table, node]) =>
          this.#existing.has(table) && this.#filenodes.get(table) !== undefined && this.#filenodes.get(table) !== node,
      )
      .map(([table]) => table);
    this.#held = held;
    this.#filenodes = filenodes;
    return { locks, rewritten };
  }
}

/** The limits a statement broke, one sentence each; empty when it kept to them. */
export function limitBreaches(report: StatementReport, limits: LockLimits | undefined): string[] {
  if (!limits) return [];
  const hot = new Set(limits.tables.map(qualify));
  const breaches: string[] = [];
  for (const lock of report.locks) {
    if (!hot.has(lock.table) || limits.maxLock === undefined) continue;
    if (isStronger(parseLockMode(lock.mode)!, limits.maxLock)) {
      breaches.push(
        `line ${report.line} takes ${lock.mode} on ${lock.table}, stronger than the ${lockModeName(limits.maxLock)} allowed`,
      );
    }
  }
  if (limits.forbidRewrite) {
    for (const table of report.rewritten)
      if (hot.has(table)) breaches.push(`line ${report.line} rewrites ${table}, which is forbidden`);
  }
  return breaches;
}

export function qualify(table: string): string {
  return table.includes('.') ? table : `public.${table}`;
}
