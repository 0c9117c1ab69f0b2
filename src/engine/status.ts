/**
 * The status words of a run, each defined once (kysely's Migrator has one result
 * vocabulary; so does shipcheck). The seed's PASSED / FAILED / ROLLED BACK / NOT
 * STARTED are how renderers and reports print these, not types of their own.
 */

/** How a run ended, as `run_finished` records it. */
export type RunOutcome = 'passed' | 'failed' | 'rolled_back' | 'rollback_failed' | 'rejected';

/**
 * Where a run stands: going, stopped (resumable), waiting for a sign-off, or ended.
 * `passed_with_warnings` is read from the log, never written: a run (or phase) that finished
 * `passed` with steps that failed under `on_fail: warn` did not pass, whatever its
 * run_finished says — so logs written before the distinction read the same way.
 */
export type RunStatus = 'in_progress' | 'awaiting_approval' | 'stopped' | RunOutcome | 'passed_with_warnings';

/** Where a step stands in a run: kysely's vocabulary, plus Running for a step started and not (yet) finished. */
export type StepStatus = 'Success' | 'Error' | 'NotExecuted' | 'Skipped' | 'RolledBack' | 'Running';

/**
 * How one finished attempt of a step ended, as `step_finished` records it: `passed` and
 * `failed` are the step's own verdict on its expectation, `error` means it threw. The
 * state folds it into a StepStatus (passed → Success, the others → Error).
 */
export type AttemptStatus = 'passed' | 'failed' | 'error';

/** What a step kind's run() reports: its expectation held or not (a throw is the engine's `error`). */
export type OutcomeStatus = Exclude<AttemptStatus, 'error'>;

/** Where a phase stands in a run (and, for a gate, in the latest run of its environment). */
export type PhaseStatus = 'not_started' | 'in_progress' | 'passed' | 'passed_with_warnings' | 'failed' | 'rolled_back';

/** How a phase ended, as `phase_finished` records it. */
export type PhaseEnd = Extract<PhaseStatus, 'passed' | 'failed'>;
