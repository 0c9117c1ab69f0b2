import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConnection } from '../../src/db/connectionString.js';
import type { Queryable } from '../../src/db/database.js';
import type { RunHistory, StepContext, StepHeader, StepKind, StepOutcome } from '../../src/steps/types.js';
import { freshDatabase, type TestDatabase } from './database.js';
import { writeEvidenceFile } from '../../src/engine/evidence.js';

/** A real StepContext over a fresh database and a temp run directory, for testing step kinds directly. */
export interface StepHarness {
  readonly database: TestDatabase;
  readonly runDir: string;
  /** Everything the steps reported through context.progress, in order. */
  readonly progress: string[];
  context(overrides?: ContextOverrides): StepContext;
  /** Parses the raw spec with the kind's schema (as the checklist loader does), then runs it. */
  run<Spec>(kind: StepKind<Spec>, rawSpec: unknown, overrides?: ContextOverrides): Promise<StepOutcome>;
  close(): Promise<void>;
}

export interface ContextOverrides {
  step?: Partial<StepHeader>;
  rehearsal?: { client: Queryable };
  signal?: AbortSignal;
  outcomes?: Record<string, StepOutcome>;
  checklistDir?: string;
  environmentName?: string;
}

export async function stepHarness(
  options: { migrateTo?: string | 'none'; poolSize?: number } = {},
): Promise<StepHarness> {
  const database = await freshDatabase(options);
  const runDir = await mkdtemp(join(tmpdir(), 'shipcheck-run-'));
  const progress: string[] = [];
  const runId = `test-${database.name}`;

  let attempts = 0;
  const context = (overrides: ContextOverrides = {}): StepContext => {
    // Like the engine: evidence/<step>/<name>, each attempt in its own folder.
    const folder = `${overrides.step?.id ?? 'step'}.attempt-${++attempts}`;
    const outcomes = overrides.outcomes ?? {};
    const history: RunHistory = {
      outcomeOf: (stepId) => outcomes[stepId],
      phaseStatus: () => 'not_started',
      approvalOf: () => undefined,
      gateApproval: () => ({}),
      earlierApproval: () => undefined,
    };
    return {
      runId,
      runDir,
      checklistDir: overrides.checklistDir ?? process.cwd(),
      environment: {
        name: overrides.environmentName ?? 'staging',
        connectionEnv: 'SHIPCHECK_TEST_DATABASE_URL',
        connectionString: database.url,
        label: describeConnection(database.url),
        db: database.db,
      },
      step: { id: 'step', kind: 'test', title: 'test step', onFail: 'stop', ...overrides.step },
      ...(overrides.rehearsal && { rehearsal: overrides.rehearsal }),
      writeEvidence: (name, content, description) =>
        writeEvidenceFile(runDir, folder, name, content, description, [database.url]),
      progress: (message) => progress.push(message),
      history,
      signal: overrides.signal ?? new AbortController().signal,
    };
  };

  return {
    database,
    runDir,
    progress,
    context,
    async run(kind, rawSpec, overrides) {
      const spec = kind.schema.parse(rawSpec);
      return kind.run(spec, context(overrides));
    },
    async close() {
      await rm(runDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}
