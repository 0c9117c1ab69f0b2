import { relative } from 'node:path';
import { UsageError } from '../errors.js';

/** One thing wrong in a checklist file, with where it is. */
export interface ChecklistProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Field path, e.g. phases[0].steps[2].on_fail */
  readonly path: string;
  readonly message: string;
}

/** Every problem of a checklist file at once; nothing was run. */
export class ChecklistError extends UsageError {
  readonly problems: readonly ChecklistProblem[];

  constructor(file: string, problems: readonly ChecklistProblem[]) {
    const shown = displayPath(file);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${shown} has ${count}; nothing was run`, {
      code: 'checklist_invalid',
      detail: problems.map((p) => `\n    ${formatProblem(p)}`).join(''),
    });
    this.problems = problems;
  }
}

export function formatProblem(problem: ChecklistProblem): string {
  const shown = displayPath(problem.file);
  const where = problem.path ? `${problem.path}: ` : '';
  return `${shown}:${problem.line}:${problem.column}  ${where}${problem.message}`;
}

/** phases[0].steps[2].on_fail from ['phases', 0, 'steps', 2, 'on_fail'] */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** Relative to the working directory when the file is below it, absolute otherwise. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
