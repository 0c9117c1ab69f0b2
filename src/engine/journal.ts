import { redactSecrets } from '../db/connectionString.js';
import type { RunEvent } from './events.js';
import type { RunRenderer } from './renderers/types.js';
import { appendEvents, ensurePrivateDir } from './runLog.js';
import { applyEvent, foldEvents, startState, type RunState } from './state.js';

type WithoutAt<E> = E extends RunEvent ? Omit<E, 'at'> : never;
export type NewEvent = WithoutAt<RunEvent>;

/** How the journal writes: the HMAC key that signs each line (SHIPCHECK_LOG_KEY), if any. */
export interface JournalOptions {
  readonly key?: Buffer | undefined;
}

/**
 * The run in progress: appends events (fsynced, chained, secrets filtered), keeps
 * the folded state current and shows each event through the renderer. Appends
 * are queued, so the log's order is the order of `record` calls, and each costs
 * the same however long the log is (applyEvent, not a re-fold).
 */
export class RunJournal {
  readonly runId: string;
  readonly runDir: string;
  readonly #events: RunEvent[];
  readonly #renderer: RunRenderer;
  readonly #secrets: readonly string[];
  readonly #options: JournalOptions;
  #state: RunState | undefined;
  #queue: Promise<void> = Promise.resolve();

  private constructor(
    runId: string,
    runDir: string,
    events: RunEvent[],
    renderer: RunRenderer,
    secrets: readonly string[],
    options: JournalOptions,
  ) {
    this.runId = runId;
    this.runDir = runDir;
    this.#events = events;
    this.#renderer = renderer;
    this.#secrets = secrets;
    this.#options = options;
    this.#state = events.length > 0 ? foldEvents(events) : undefined;
  }

  /** A new run: creates its directory (0700); the first event must be run_started. */
  static async create(
    runId: string,
    runDir: string,
    renderer: RunRenderer,
    secrets: readonly string[],
    options: JournalOptions = {},
  ): Promise<RunJournal> {
    await ensurePrivateDir(runDir);
    return new RunJournal(runId, runDir, [], renderer, secrets, options);
  }

  /** An existing run, from the events already read. Its first append repairs a torn last line (runLog.ts). */
  static resume(
    runId: string,
    runDir: string,
    events: readonly RunEvent[],
    renderer: RunRenderer,
    secrets: readonly string[],
    options: JournalOptions = {},
  ): RunJournal {
    return new RunJournal(runId, runDir, [...events], renderer, secrets, options);
  }

  get state(): RunState {
    if (!this.#state) throw new Error('the run has no events yet');
    return this.#state;
  }

  get events(): readonly RunEvent[] {
    return this.#events;
  }

  record(partial: NewEvent): Promise<void> {
    const recorded = this.#queue.then(() => this.#append(partial));
    // The queue goes on after a failed append; the caller of that one sees its error.
    this.#queue = recorded.catch(() => {});
    return recorded;
  }

  async #append(partial: NewEvent): Promise<void> {
    const event = JSON.parse(
      redactSecrets(JSON.stringify({ ...partial, at: new Date().toISOString() }), this.#secrets),
    ) as RunEvent;
    const written = await appendEvents(this.runDir, [event], { key: this.#options.key });
    for (const one of written) {
      this.#events.push(one);
      this.#state = this.#state ? applyEvent(this.#state, one) : startState(one);
      this.#renderer.event(one, this.#state);
    }
  }
}
