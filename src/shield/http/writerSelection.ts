import type { Queryable } from '../../db/database.js';
import { sqlFile } from '../../db/sqlFile.js';
import { CheckFailedError } from '../../errors.js';
import { type BehaviourWriter, type WriterName, writerFor } from '../writers/index.js';

const rpcFunctionsPresentSql = sqlFile(import.meta.url, './sql/rpc_functions_present.sql');

/**
 * The behaviour writer the API uses now. Switchable at runtime (POST /v1/admin/writer)
 * so the demo can move from `legacy` to `rpc` under load once migration 024 is live:
 * each request reads `current` once when it starts and keeps that writer to the end.
 */
export class WriterSelection {
  #current: BehaviourWriter;
  readonly #onChange: (name: WriterName) => void;

  constructor(initial: WriterName, onChange: (name: WriterName) => void = () => {}) {
    this.#current = writerFor(initial);
    this.#onChange = onChange;
    onChange(initial);
  }

  get current(): BehaviourWriter {
    return this.#current;
  }

  /**
   * Switches to `name`, refusing `rpc` while migration 024 is absent: that switch is
   * exactly the production failure the checklist exists to prevent.
   */
  async switchTo(db: Queryable, name: WriterName): Promise<{ previous: WriterName; current: WriterName }> {
    await assertWriterUsable(db, name);
    const previous = this.#current.name;
    this.#current = writerFor(name);
    this.#onChange(name);
    return { previous, current: name };
  }
}

/**
 * Throws CheckFailedError when `name` is `rpc` and migration 024's functions are missing,
 * or `action` and migration 026's function is.
 * Queries for either writer, so a server starting with `legacy` still fails fast when
 * the database cannot be reached.
 */
export async function assertWriterUsable(db: Queryable, name: WriterName): Promise<void> {
  const { rows } = await db.query<{ present: boolean; action_present: boolean }>(rpcFunctionsPresentSql);
  if (name === 'action' && !(rows[0]?.present && rows[0]?.action_present)) {
    throw new CheckFailedError('the action writer needs migration 026, which is not applied to this database', {
      code: 'migration_026_missing',
      hint: 'apply it first (shipcheck db migrate --to 026), or keep the rpc writer',
    });
  }
  if (name === 'rpc' && !rows[0]?.present) {
    throw new CheckFailedError('the rpc writer needs migration 024, which is not applied to this database', {
      code: 'migration_024_missing',
      hint: 'apply it first (shipcheck db migrate --to 024), or keep the legacy writer',
    });
  }
}
