import { redactSecrets } from '../db/connectionString.js';
import type { RunEvent } from './events.js';
import type { RunRenderer } from './renderers/types.js';
import { appendEvent, ensurePrivateDir } from './runLog.js';
import { foldEvents, type RunState } from './state.js';

type WithoutAt<E> = E extends RunEvent ? Omit<E, 'at'> : never;
export type NewEvent = WithoutAt<RunEvent>;

/**
 * The run in progress: appends events (fsynced, secrets filtered), keeps the
 * folded state current and shows each event through the renderer.
 */
export class RunJournal {
  readonly runId: string;
  readonly runDir: string;
  readonly #events: RunEvent[];
  readonly #renderer: RunRenderer;
  readonly #secrets: readonly string[];
  #state: RunState | undefined;

  private constructor(runId: string, runDir: string, events: RunEvent[], renderer: RunRenderer, secrets: readonly string[]) {
    this.runId = runId;
    this.runDir = runDir;
    this.#events = events;
    this.#renderer = renderer;
    this.#secrets = secrets;
    this.#state = events.length > 0 ? foldEvents(events) : undefined;
  }

  /** A new run: creates its directory (0700); the first event must be run_started. */
  static async create(runId: string, runDir: string, renderer: RunRenderer, secrets: readonly string[]): Promise<RunJournal> {
    await ensurePrivateDir(runDir);
    return new RunJournal(runId, runDir, [], renderer, secrets);
  }

  /** An existing run, from the events already read. */
  static resume(runId: string, runDir: string, events: readonly RunEvent[], renderer: RunRenderer, secrets: readonly string[]): RunJournal {
    return new RunJournal(runId, runDir, [...events], renderer, secrets);
  }

  get state(): RunState {
    if (!this.#state) throw new Error('the run has no events yet');
    return this.#state;
  }

  get events(): readonly RunEvent[] {
    return this.#events;
  }

  async record(partial: NewEvent): Promise<void> {
    const event = JSON.parse(
      redactSecrets(JSON.stringify({ ...partial, at: new Date().toISOString() }), this.#secrets),
    ) as RunEvent;
    await appendEvent(this.runDir, event);
    this.#events.push(event);
    this.#state = foldEvents(this.#events);
    this.#renderer.event(event, this.#state);
  }
}
