/**
 * shipcheck as a library: what docs/runs.md ("Using the engine from code") promises. The
 * CLI (`bin/shipcheck.js`) is a thin edge over these same functions.
 *
 * @example
 * import { defaultRegistry, loadChecklist, runChecklist } from 'shipcheck';
 * const checklist = await loadChecklist('checklists/migration-024.yaml', defaultRegistry);
 * const { error, results } = await runChecklist({ checklist, environment: 'staging', stateDir: '.shipcheck' });
 */

// Checklists and step kinds
export { loadChecklist, parseChecklist } from './checklist/loader.js';
export type { Checklist, ChecklistPhase, ChecklistStep } from './checklist/types.js';
export { createRegistry, defaultRegistry, stepKinds, type StepRegistry } from './steps/registry.js';
export type { StepContext, StepDescription, StepKind, StepOutcome, StepPreview } from './steps/types.js';

// Runs: plan, run, rollback, gate, the log and its state
export { planRun, renderPlan, type Plan, type PlannedStep } from './engine/plan.js';
export { runChecklist, type RunOptions, type RunResult, type StepResult } from './engine/runner.js';
export { rollbackRun, type ManualRollbackOptions } from './engine/manualRollback.js';
export { checkDeployed, type DeployGateResult } from './engine/deployGate.js';
export { listRuns, loadRun, type StoredRun } from './engine/runs.js';
export { foldEvents, type RunState } from './engine/state.js';
export type { RunEvent } from './engine/events.js';

// Reports
export { buildRunReport, type RunReport } from './report/runReport.js';
export { renderMarkdownReport } from './report/markdown.js';
export { renderJsonReport } from './report/json.js';

// Migrations: the runner, the lint, the database layer
export { migrate, migrationStatus, revert, verify, type MigrateResult } from './db/migrations/runner.js';
export { lintFiles, renderLintReports } from './lint/lintFiles.js';
export { lintSql, type LintFinding, type LintReport } from './lint/lintSql.js';
export { lintRules } from './lint/rules/index.js';
export { initChecklist, type InitOptions, type InitResult } from './init/init.js';
export { Database, type Queryable } from './db/database.js';
export { inTransaction, withSavepoint } from './db/transaction.js';

// Errors: a stable code and an exit code each
export * from './errors.js';
