import { randomBytes } from 'node:crypto';
import { DatabaseError, ExitCode, ShipcheckError } from '../errors.js';
import type { Queryable, QueryResult } from './database.js';

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions<T> {
  /** The database keeps the transaction read-only: a write fails with SQLSTATE 25006. */
  readonly readOnly?: boolean;
  readonly isolation?: Isolation;
  /** From the result, whether to commit (true, the default) or roll back. A throw always rolls back. */
  readonly keep?: (result: T) => boolean;
}

/** The code of the error below: SQL run inside shipcheck's transaction ended it (or its savepoint). */
export const transactionEnded = 'transaction_ended';
/** The code of a refused statement: a step's SQL may not be transaction control. */
export const transactionControlRefused = 'transaction_control_refused';

/**
 * Each transaction or savepoint shipcheck opens on a client sets a SET LOCAL marker,
 * one setting per nesting level. COMMIT and ROLLBACK drop every SET LOCAL value and
 * ROLLBACK TO SAVEPOINT drops those set after the savepoint, so a marker that no longer
 * reads back means the SQL run inside ended what shipcheck opened.
 */
interface Frame {
  readonly setting: string;
  readonly token: string;
  /** The top-level transaction id, taken for writable transactions: tells a commit from a rollback afterwards. */
  readonly xid?: string;
  readonly savepoint?: string;
}

const openFrames = new WeakMap<Queryable, Frame[]>();

/**
 * Runs `work` on `client` (one connection, never the pool) inside BEGIN … COMMIT (or
 * ROLLBACK: a throw, or `keep` returning false). Afterwards it checks that the transaction it opened is still the
 * one in progress: SQL in `work` that committed or rolled it back early is a
 * `transaction_ended` error, never a silent "committed".
 *
 * @example
 * const n = await inTransaction(client, async (tx) => (await tx.query('select 1 as n')).rows[0], { readOnly: true });
 */
export async function inTransaction<T>(
  client: Queryable,
  work: (client: Queryable) => Promise<T>,
  options: TransactionOptions<T> = {},
): Promise<T> {
  if (frames(client).length > 0)
    throw new Error('inTransaction: a transaction is already open on this client; use withSavepoint');
  const modes = [options.isolation && `isolation level ${options.isolation}`, options.readOnly && 'read only'].filter(
    Boolean,
  );
  // The modes come from closed lists above, never from input.
  await client.query(modes.length > 0 ? `begin transaction ${modes.join(', ')}` : 'begin');
  let frame: Frame;
  try {
    frame = await pushFrame(client, { trackXid: !options.readOnly });
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
  let result: T;
  let state: MarkerState;
  try {
    result = await work(client);
    state = await markerState(client, frame);
    if (state === 'ended') throw ended(frame, await fateOf(client, frame));
  } catch (error) {
    popFrame(client, frame);
    await client.query('rollback').catch(() => {});
    // A failed script may have committed part of itself before it failed (COMMIT in a migration file).
    if (!isTransactionEnded(error) && (await fateOf(client, frame)) === 'committed')
      throw ended(frame, 'committed', error);
    throw error;
  }
  popFrame(client, frame);
  // A read-only COMMIT changes nothing and, unlike ROLLBACK, does not count in
  // pg_stat_database.xact_rollback, which the monitor's rollback rate watches.
  const commit = state === 'intact' && (options.readOnly || (options.keep?.(result) ?? true));
  await client.query(commit ? 'commit' : 'rollback');
  // An aborted transaction cannot be asked for its marker: once rolled back, its id tells whether it had committed already.
  if (!commit && (await fateOf(client, frame)) === 'committed') throw ended(frame, 'committed');
  return result;
}

/**
 * Runs `work` under a savepoint of the transaction already open on `client`: kept
 * (released) when it returns, rolled back to on a throw or when `keep` says so, so the
 * transaction can go on. With `readOnly` the savepoint is kept read-only
 * (`transaction_read_only` may be switched on mid-transaction; rolling back to the
 * savepoint switches it off again) and is always rolled back.
 *
 * @example
 * await withSavepoint(rehearsal, (tx) => tx.query('insert into t values (1)'), { keep: () => false });
 */
export async function withSavepoint<T>(
  client: Queryable,
  work: (client: Queryable) => Promise<T>,
  options: Omit<TransactionOptions<T>, 'isolation'> = {},
): Promise<T> {
  const savepoint = `shipcheck_savepoint_${frames(client).length}`;
  // The name is built from a counter only.
  await client.query(`savepoint ${savepoint}`);
  const frame = await pushFrame(client, { savepoint });
  const undo = async () => {
    await client.query(`rollback to savepoint ${savepoint}`);
    await client.query(`release savepoint ${savepoint}`);
  };
  let result: T;
  let state: MarkerState;
  try {
    if (options.readOnly) await client.query('set local transaction_read_only = on');
    result = await work(client);
    state = await markerState(client, frame);
    if (state === 'ended') throw ended(frame, undefined);
  } catch (error) {
    popFrame(client, frame);
    await undo().catch(() => {});
    throw error;
  }
  popFrame(client, frame);
  try {
    if (state === 'aborted' || options.readOnly || !(options.keep?.(result) ?? true)) await undo();
    else await client.query(`release savepoint ${savepoint}`);
  } catch (error) {
    // SQL in `work` released the savepoint itself: the enclosing transaction is now aborted (still open).
    throw new TransactionEndedError(
      `the SQL run under shipcheck's savepoint released it: ${(error as Error).message}`,
      undefined,
      error,
    );
  }
  return result;
}

/**
 * Throws `transaction_ended` when SQL run on `client` ended the transaction (or rolled
 * back the savepoint) shipcheck opened there: call it after SQL that shipcheck does not
 * control (a migration script) and before recording that SQL as done.
 */
export async function assertTransactionIntact(client: Queryable): Promise<void> {
  const frame = frames(client).at(-1);
  if (!frame) throw new Error('assertTransactionIntact: shipcheck opened no transaction on this client');
  // An aborted transaction is still open; the helper that opened it checks its fate once it is rolled back.
  if ((await markerState(client, frame)) === 'ended')
    throw ended(frame, frame.savepoint ? undefined : await fateOf(client, frame));
}

/** The `transaction_ended` error, for callers that report it differently (the rehearsal). */
export function isTransactionEnded(error: unknown): error is TransactionEndedError {
  return error instanceof TransactionEndedError;
}

const transactionControl = new Set([
  'BEGIN',
  'START',
  'COMMIT',
  'END',
  'ROLLBACK',
  'ABORT',
  'SAVEPOINT',
  'RELEASE',
  'PREPARE',
]);

/**
 * Runs SQL written in a checklist: as ONE statement (the extended protocol refuses
 * `select …; commit`), and refuses transaction control (COMMIT, ROLLBACK, BEGIN,
 * SAVEPOINT, RELEASE, PREPARE TRANSACTION), whose tag only comes back once it ran:
 * the enclosing inTransaction/withSavepoint then finds its transaction ended.
 */
export async function runStatement<Row extends object = Record<string, unknown>>(
  client: Queryable,
  sql: string,
  params: readonly unknown[] = [],
): Promise<QueryResult<Row>> {
  const result = await client.query<Row>(sql, params, { singleStatement: true });
  if (transactionControl.has(result.command?.toUpperCase() ?? '')) {
    throw new ShipcheckError(
      `the step's SQL is transaction control (${result.command}); it runs inside shipcheck's transaction and may not end it`,
      {
        code: transactionControlRefused,
        exitCode: ExitCode.usage,
        hint: 'remove COMMIT, ROLLBACK, BEGIN, SAVEPOINT and RELEASE from the query: shipcheck commits or rolls back itself',
      },
    );
  }
  return result;
}

function frames(client: Queryable): Frame[] {
  let list = openFrames.get(client);
  if (!list) {
    list = [];
    openFrames.set(client, list);
  }
  return list;
}

async function pushFrame(client: Queryable, options: { trackXid?: boolean; savepoint?: string }): Promise<Frame> {
  const list = frames(client);
  const setting = `shipcheck.transaction_${list.length}`;
  const token = randomBytes(12).toString('hex');
  const { rows } = await client.query<{ xid: string | null }>(
    options.trackXid
      ? 'select pg_catalog.set_config($1, $2, true), pg_catalog.txid_current()::text as xid'
      : 'select pg_catalog.set_config($1, $2, true), null::text as xid',
    [setting, token],
  );
  const xid = rows[0]?.xid ?? undefined;
  const frame: Frame = {
    setting,
    token,
    ...(xid && { xid }),
    ...(options.savepoint && { savepoint: options.savepoint }),
  };
  list.push(frame);
  return frame;
}

function popFrame(client: Queryable, frame: Frame): void {
  const list = frames(client);
  const at = list.lastIndexOf(frame);
  if (at >= 0) list.splice(at);
}

/** `aborted`: an earlier statement failed, so the server answers nothing until the rollback; the block is still open. */
type MarkerState = 'intact' | 'ended' | 'aborted';

async function markerState(client: Queryable, frame: Frame): Promise<MarkerState> {
  try {
    const { rows } = await client.query<{ token: string | null }>(
      'select pg_catalog.current_setting($1, true) as token',
      [frame.setting],
    );
    return rows[0]?.token === frame.token ? 'intact' : 'ended';
  } catch (error) {
    if (error instanceof DatabaseError && error.sqlState === '25P02') return 'aborted';
    throw error;
  }
}

async function fateOf(client: Queryable, frame: Frame): Promise<Fate | undefined> {
  const outermost = frames(client)[0] ?? frame;
  const xid = outermost.xid ?? frame.xid;
  if (!xid) return undefined;
  const { rows } = await client
    .query<{ status: string | null }>('select pg_catalog.txid_status($1::bigint) as status', [xid])
    .catch(() => ({ rows: [] as { status: string | null }[] }));
  const status = rows[0]?.status;
  return status === 'committed' ? 'committed' : status === 'aborted' ? 'rolled back' : undefined;
}

function ended(frame: Frame, fate: Fate | undefined, cause?: unknown): TransactionEndedError {
  const what = frame.savepoint
    ? "the SQL run under shipcheck's savepoint rolled it back or ended the transaction"
    : `the SQL run inside shipcheck's transaction ended it${fate ? ` (it was ${fate})` : ''}`;
  const because = cause instanceof ShipcheckError ? `${cause.message}; ` : '';
  return new TransactionEndedError(`${because}${what}`, fate, cause);
}

type Fate = 'committed' | 'rolled back';

/** `transaction_ended`: SQL that shipcheck ran for a step or a migration ended shipcheck's transaction. */
export class TransactionEndedError extends ShipcheckError {
  /** How the transaction ended, when shipcheck took its id (writable transactions). */
  readonly fate: Fate | undefined;

  constructor(message: string, fate: Fate | undefined, cause?: unknown) {
    super(message, {
      code: transactionEnded,
      exitCode: ExitCode.database,
      ...(fate && { detail: `the transaction was ${fate} by that SQL, not by shipcheck` }),
      hint: "a step's or migration's SQL may not COMMIT, ROLLBACK, BEGIN, SAVEPOINT or RELEASE: shipcheck opens and ends the transaction",
      ...(cause !== undefined && { cause }),
    });
    this.fate = fate;
  }
}
