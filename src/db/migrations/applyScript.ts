import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailedError, DatabaseError, UsageError } from '../../errors.js';
import type { Queryable } from '../database.js';
import { describeHolder, lockHolders } from '../locks.js';
import { outsideTransactionReason, type ParsedStatement, parseStatements } from '../sqlStatements.js';
import { inTransaction, transactionControlRefused } from '../transaction.js';
import type { MigrationFile } from './files.js';
import { recordApplied } from './history.js';
import type { HistoryStore } from './historyStores.js';
import { findInvalidIndex } from './invalidIndexes.js';
import { LockObserver, type LockLimits, limitBreaches, type StatementReport } from './statementLocks.js';
import {
  concurrentIndexName,
  firstRelation,
  LockLimitError,
  type LockWaitAttempt,
  LockWaitError,
  StatementLockTimeout,
} from './scriptFaults.js';

export { LockLimitError, type LockWaitAttempt, LockWaitError } from './scriptFaults.js';

export interface ApplyOptions {
  /** The history namespace the migration is recorded under. */
  readonly source: string;
  /** Where the migration is recorded; default shipcheck.migrations under `source`. */
  readonly history?: HistoryStore;
  /**
   * `own`: the migration commits on its own (in one transaction, or statement by statement
   * when it holds statements that cannot run in one). `caller`: the caller's transaction
   * (a rehearsal's), where such statements are skipped and said so.
   */
  readonly transaction: 'own' | 'caller';
  /** lock_timeout for every statement; 0 leaves the server's. */
  readonly lockTimeoutMs?: number;
  /** How often a statement that timed out waiting for a lock is tried again (own transaction only). */
  readonly lockRetries?: number;
  /** The first wait before a retry; it doubles each time. */
  readonly retryDelayMs?: number;
  readonly lockLimits?: LockLimits;
  /** Drop an INVALID index left by an interrupted CREATE INDEX CONCURRENTLY, then build it again. */
  readonly repairInvalidIndexes?: boolean;
  readonly signal?: AbortSignal;
  /** The connection's command tags and notices, when it records them (the migrate step's). */
  readonly recorder?: { drain(): { commands: string[]; notices: string[] } };
  readonly onProgress?: (message: string) => void;
}

export interface ApplyReport {
  /** False when the migration ran statement by statement outside a transaction. */
  readonly transactional: boolean;
  readonly statements: readonly StatementReport[];
  readonly lockWaits: readonly LockWaitAttempt[];
  /** Invalid indexes dropped before being built again. */
  readonly repaired: readonly string[];
  readonly commands: readonly string[];
  readonly notices: readonly string[];
}

const lockNotAvailable = '55P03';
const noTransactionHeader = /^\s*--\s*shipcheck:no-transaction\b/i;

/**
 * Runs one migration's deploy script statement by statement (split by PostgreSQL's own
 * parser), each under lock_timeout, measuring the locks and rewrites each one causes, then
 * records it in the history. A statement that cannot run in a transaction block makes the
 * whole file run outside one, and the history row is written only after every statement
 * has succeeded.
 */
export async function applyMigrationScript(
  client: Queryable,
  migration: MigrationFile,
  options: ApplyOptions,
): Promise<ApplyReport> {
  const file = `${migration.name}.sql`;
  const statements = await parseStatements(migration.deploySql, file);
  // shipcheck owns the transaction: a COMMIT in the file would end it half-way.
  const control = statements.find((s) => s.type === 'TransactionStmt');
  if (control) {
    throw new UsageError(
      `${file}:${control.line}: ${control.text.split(/\s/)[0]!.toUpperCase()} in a migration: shipcheck applies each migration in a transaction of its own and may not have it ended`,
      {
        code: transactionControlRefused,
        hint: 'remove the transaction statements; split work that must commit separately into migrations of its own (nothing was run)',
      },
    );
  }
  const outside = statements.some((s) => outsideTransactionReason(s) !== undefined);
  const transactional = !outside && !noTransactionHeader.test(migration.deploySql);
  const run = new ScriptRun(client, migration, statements, options);
  if (options.transaction === 'caller') return run.inCallersTransaction(transactional);
  return transactional ? run.inOwnTransaction() : run.outsideTransaction();
}

/**
 * Whether the migration commits as one transaction when applied on its own (no statement that
 * cannot run in a transaction block, no `-- shipcheck:no-transaction` header): behind a
 * transaction-mode pooler only such a migration can be applied under a transaction-scoped lock.
 */
export async function runsInOneTransaction(migration: MigrationFile): Promise<boolean> {
  if (noTransactionHeader.test(migration.deploySql)) return false;
  const statements = await parseStatements(migration.deploySql, `${migration.name}.sql`);
  return !statements.some((s) => outsideTransactionReason(s) !== undefined);
}

class ScriptRun {
  readonly #started = performance.now();
  readonly #lockWaits: LockWaitAttempt[] = [];
  readonly #repaired: string[] = [];
  readonly #commands: string[] = [];
  readonly #notices: string[] = [];

  constructor(
    private readonly client: Queryable,
    private readonly migration: MigrationFile,
    private readonly statements: readonly ParsedStatement[],
    private readonly options: ApplyOptions,
  ) {}

  async #record(): Promise<void> {
    const { history } = this.options;
    if (history) await history.record(this.client, this.migration, performance.now() - this.#started);
    else await recordApplied(this.client, this.options.source, this.migration);
  }

  async inCallersTransaction(transactional: boolean): Promise<ApplyReport> {
    const previous = await this.#setLockTimeout(true);
    try {
      const reports = await this.#runObserved((statement) => {
        const reason = outsideTransactionReason(statement);
        return reason && `not rehearsed: ${reason} cannot run inside the rehearsal's transaction`;
      });
      await this.#record();
      return this.#report(transactional, reports);
    } finally {
      if (previous !== undefined)
        await this.client.query("select pg_catalog.set_config('lock_timeout', $1, true)", [previous]);
    }
  }

  async inOwnTransaction(): Promise<ApplyReport> {
    const retries = this.options.lockRetries ?? 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const reports = await inTransaction(this.client, async () => {
          await this.#setLockTimeout(true);
          const observed = await this.#runObserved(() => undefined);
          await this.#record();
          this.#recorder()?.drain();
          return observed;
        });
        return this.#report(true, reports);
      } catch (error) {
        // inTransaction rolled the attempt back: nothing of it stays.
        if (!(error instanceof StatementLockTimeout)) throw error;
        await this.#lockWaited(error.statement, attempt, retries);
      }
    }
  }

  async outsideTransaction(): Promise<ApplyReport> {
    const previous = await this.#setLockTimeout(false);
    const retries = this.options.lockRetries ?? 0;
    const reports: StatementReport[] = [];
    try {
      for (const statement of this.statements) {
        await this.#checkInvalidIndex(statement);
        for (let attempt = 1; ; attempt++) {
          try {
            const { durationMs } = await this.#execute(statement);
            reports.push({
              ...this.#headline(statement),
              durationMs,
              locks: [],
              rewritten: [],
              unmeasured: 'ran outside a transaction: its locks ended with it',
            });
            break;
          } catch (error) {
            // An interrupted CREATE INDEX CONCURRENTLY leaves its index INVALID: ours, so dropped before any retry.
            await this.#dropOwnInvalidIndex(statement);
            if (!(error instanceof StatementLockTimeout)) throw error;
            await this.#lockWaited(statement, attempt, retries);
          }
        }
        await this.#assertIndexValid(statement);
      }
      await this.#record();
      this.#recorder()?.drain();
      return this.#report(false, reports);
    } finally {
      if (previous !== undefined)
        await this.client.query("select pg_catalog.set_config('lock_timeout', $1, false)", [previous]).catch(() => {});
    }
  }

  /** Runs each statement, measuring what it locked and rewrote, and stops at the first limit it breaks. */
  async #runObserved(skip: (statement: ParsedStatement) => string | undefined): Promise<StatementReport[]> {
    const observer = await LockObserver.start(this.client);
    const reports: StatementReport[] = [];
    for (const statement of this.statements) {
      const skipped = skip(statement);
      if (skipped) {
        reports.push({ ...this.#headline(statement), durationMs: 0, locks: [], rewritten: [], skipped });
        continue;
      }
      const { durationMs } = await this.#execute(statement);
      const report: StatementReport = {
        ...this.#headline(statement),
        durationMs,
        ...(await observer.afterStatement()),
      };
      reports.push(report);
      const breaches = limitBreaches(report, this.options.lockLimits);
      if (breaches.length > 0) throw new LockLimitError(breaches, reports);
    }
    return reports;
  }

  async #execute(statement: ParsedStatement): Promise<{ durationMs: number }> {
    this.#recorder()?.drain();
    const began = performance.now();
    try {
      await this.client.query(statement.text);
    } catch (error) {
      if (error instanceof DatabaseError && error.sqlState === lockNotAvailable)
        throw new StatementLockTimeout(statement);
      throw this.#located(error, statement);
    }
    const durationMs = Math.round((performance.now() - began) * 100) / 100;
    const said = this.#recorder()?.drain();
    if (said) {
      this.#commands.push(...said.commands);
      this.#notices.push(...said.notices);
    }
    return { durationMs };
  }

  /** Records who held the lock, then waits (doubling) before the next attempt, or gives up naming them. */
  async #lockWaited(statement: ParsedStatement, attempt: number, retries: number): Promise<void> {
    const relation = firstRelation(statement);
    const holders = relation ? await lockHolders(this.client, relation).catch(() => []) : [];
    const blockers = holders.map(describeHolder);
    const wait: LockWaitAttempt = { attempt, ...this.#headline(statement), blockers };
    this.#lockWaits.push(wait);
    const where = `${this.migration.name}.sql:${statement.line}`;
    const who =
      blockers.length > 0 ? `blocked by ${blockers.join('; ')}` : 'the blocker had already gone when it was looked up';
    if (attempt > retries) {
      throw new LockWaitError(
        `${where} waited longer than lock_timeout (${this.options.lockTimeoutMs} ms) for a lock ${attempt} time(s); ${who}`,
        this.#lockWaits,
      );
    }
    const delayMs = (this.options.retryDelayMs ?? 1_000) * 2 ** (attempt - 1);
    this.options.onProgress?.(
      `${where}: lock_timeout (attempt ${attempt} of ${retries + 1}), ${who}; trying again in ${delayMs} ms`,
    );
    await sleep(delayMs, undefined, this.options.signal ? { signal: this.options.signal } : {});
  }

  async #checkInvalidIndex(statement: ParsedStatement): Promise<void> {
    const name = concurrentIndexName(statement);
    if (!name) return;
    const invalid = await findInvalidIndex(this.client, name, statement.node.relation?.schemaname);
    if (!invalid) return;
    if (!this.options.repairInvalidIndexes) {
      throw new CheckFailedError(
        `index ${invalid} is INVALID: an earlier CREATE INDEX CONCURRENTLY was interrupted, and ${this.migration.name}.sql:${statement.line} would ${statement.node.if_not_exists ? 'skip it as existing' : 'fail on it'}`,
        {
          code: 'invalid_index',
          hint: `drop it (DROP INDEX CONCURRENTLY ${invalid};) and run the step again, or set repair_invalid_indexes: true on the migrate step`,
        },
      );
    }
    await this.client.query(`drop index concurrently if exists ${invalid}`);
    this.#repaired.push(invalid);
  }

  async #dropOwnInvalidIndex(statement: ParsedStatement): Promise<void> {
    const name = concurrentIndexName(statement);
    if (!name) return;
    const invalid = await findInvalidIndex(this.client, name, statement.node.relation?.schemaname).catch(
      () => undefined,
    );
    if (invalid) await this.client.query(`drop index concurrently if exists ${invalid}`).catch(() => {});
  }

  async #assertIndexValid(statement: ParsedStatement): Promise<void> {
    const name = concurrentIndexName(statement);
    if (!name) return;
    const invalid = await findInvalidIndex(this.client, name, statement.node.relation?.schemaname);
    if (invalid) {
      throw new CheckFailedError(
        `${this.migration.name}.sql:${statement.line} left index ${invalid} INVALID; the migration is not recorded as applied`,
        {
          code: 'invalid_index',
          hint: `drop it (DROP INDEX CONCURRENTLY ${invalid};) and run the step again`,
        },
      );
    }
  }

  /** Sets lock_timeout for the migration (transaction-local or for the session); returns the value to restore. */
  async #setLockTimeout(local: boolean): Promise<string | undefined> {
    const ms = this.options.lockTimeoutMs ?? 0;
    if (ms <= 0) return undefined;
    const { rows } = await this.client.query<{ previous: string }>(
      "select pg_catalog.current_setting('lock_timeout') as previous",
    );
    await this.client.query("select pg_catalog.set_config('lock_timeout', $1, $2)", [`${ms}ms`, local]);
    return rows[0]?.previous;
  }

  #recorder() {
    return this.options.recorder;
  }

  #headline(statement: ParsedStatement): { line: number; statement: string } {
    return { line: statement.line, statement: statement.text.split('\n')[0]!.slice(0, 160) };
  }

  #report(transactional: boolean, statements: StatementReport[]): ApplyReport {
    return {
      transactional,
      statements,
      lockWaits: this.#lockWaits,
      repaired: this.#repaired,
      commands: this.#commands,
      notices: this.#notices,
    };
  }

  #located(error: unknown, statement: ParsedStatement): unknown {
    if (!(error instanceof DatabaseError)) return error;
    return new DatabaseError(`${this.migration.name}.sql:${statement.line}: ${error.message}`, {
      ...(error.sqlState !== undefined && { sqlState: error.sqlState }),
      ...(error.detail !== undefined && { detail: error.detail }),
      ...(error.hint !== undefined && { hint: error.hint }),
      ...(error.position !== undefined && { position: error.position }),
      sql: statement.text,
      cause: error,
    });
  }
}
