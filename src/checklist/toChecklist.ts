import { dirname } from 'node:path';
import { formatPath } from './problems.js';
import type { ChecklistFile } from './schema.js';
import type { Checklist, ChecklistPhase, ChecklistStep } from './types.js';

/**
 * The checklist model the engine runs, from a file that passed the schema: camelCase fields,
 * each step the one parsed at its path (`stepsByPath`, keyed by formatPath), the file's hash.
 */
export function toChecklist(
  data: ChecklistFile,
  file: string,
  fileHash: string,
  stepsByPath: Map<string, ChecklistStep>,
): Checklist {
  const stepsAt = (path: PropertyKey[], count: number): ChecklistStep[] =>
    Array.from({ length: count }, (_, i) => stepsByPath.get(formatPath([...path, i])) as ChecklistStep);
  const phases: ChecklistPhase[] = data.phases.map((phase, index) => ({
    id: phase.id,
    title: phase.title,
    environment: phase.environment,
    steps: stepsAt(['phases', index, 'steps'], phase.steps.length),
  }));
  return {
    version: 1,
    name: data.name,
    file,
    dir: dirname(file),
    fileHash,
    metadata: {
      ...(data.metadata.migration !== undefined && { migration: data.metadata.migration }),
      ...(data.metadata.issue !== undefined && { issue: data.metadata.issue }),
      ...(data.metadata.blocked_pr !== undefined && { blockedPr: data.metadata.blocked_pr }),
      ...(data.metadata.description !== undefined && { description: data.metadata.description }),
    },
    environments: Object.fromEntries(
      Object.entries(data.environments).map(([name, env]) => [
        name,
        {
          connectionEnv: env.connection_env,
          ...(env.direct_connection_env !== undefined && { directConnectionEnv: env.direct_connection_env }),
        },
      ]),
    ),
    phases,
    rollback: {
      function_related: stepsAt(['rollback', 'function_related'], data.rollback.function_related.length),
      data_corruption: stepsAt(['rollback', 'data_corruption'], data.rollback.data_corruption.length),
      keep_monitoring: stepsAt(['rollback', 'keep_monitoring'], data.rollback.keep_monitoring.length),
    },
  };
}
