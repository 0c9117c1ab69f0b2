import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { migrateStep } from '../steps/migrate.js';
import type { StepRegistry } from '../steps/registry.js';
import { rollbackStep } from '../steps/rollback.js';
import { deepFreeze } from './freeze.js';
import { canonicalJson, sha256 } from './hash.js';
import { checkPlaceholders } from './placeholders.js';
import { ChecklistError, type ChecklistProblem, formatPath } from './problems.js';
import { checkRollbackBranchField, checkStepReferences, type PhasePlace, type StepPlace } from './references.js';
import { checklistSchema, type ChecklistFile, stepHeaderKeys, stepHeaderSchema } from './schema.js';
import { SourceMap } from './sourceMap.js';
import { toChecklist } from './toChecklist.js';
import { referencesOf } from './stepReferences.js';
import { type Checklist, type ChecklistStep, type RollbackBranch, rollbackBranches } from './types.js';

/**
 * What a checklist file may hold. A real checklist is tens of kilobytes and tens
 * of steps; these refuse, with exit 2 before any work, a file that would exhaust
 * memory or the stack instead (a 200,000-step file, a "billion laughs" of YAML
 * aliases).
 */
export const checklistLimits = {
  /** Bytes of the file. */
  maxBytes: 1024 * 1024,
  /** The yaml package's maxAliasCount: how far aliases may expand the document. */
  maxAliasCount: 100,
  /** Steps in all phases and rollback branches together. */
  maxSteps: 1000,
} as const;

/**
 * Reads, validates and freezes a checklist file. Every problem is collected and
 * reported at once as a ChecklistError (file:line:column, field path, message).
 *
 * @example
 * const checklist = await loadChecklist('checklists/migration-024.yaml', defaultRegistry);
 */
export async function loadChecklist(file: string, registry: StepRegistry): Promise<Checklist> {
  const path = resolve(file);
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > checklistLimits.maxBytes) throw tooLarge(file, size);
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read checklist ${file}: ${code === 'ENOENT' ? 'no such file' : String(code)}`);
  }
  return parseChecklist(text, path, registry);
}

function tooLarge(file: string, bytes: number): UsageError {
  return new UsageError(
    `checklist ${file} is ${bytes} bytes, more than the ${checklistLimits.maxBytes} bytes a checklist may be; nothing was run`,
    { code: 'checklist_too_large' },
  );
}

/** Same as loadChecklist for text already in memory; `file` is used for messages and relative paths. */
export function parseChecklist(text: string, file: string, registry: StepRegistry): Checklist {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > checklistLimits.maxBytes) throw tooLarge(file, bytes);
  const lines = new LineCounter();
  const problems: ChecklistProblem[] = [];
  const refuse = (message: string): never => {
    problems.push({ file, line: 1, column: 1, path: '', message });
    throw new ChecklistError(file, problems);
  };
  const doc = withinStack(
    () => parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true }),
    refuse,
  );
  for (const error of [...doc.errors, ...doc.warnings]) {
    const { line, col } = lines.linePos(error.pos[0]);
    problems.push({ file, line, column: col, path: '', message: `YAML: ${error.message.split('\n')[0]}` });
  }
  if (problems.length > 0) throw new ChecklistError(file, problems);

  const source = new SourceMap(doc, lines);
  const add = (path: readonly PropertyKey[], message: string, key?: string) => {
    const { line, column } = source.locate(path, key);
    const shownPath = formatPath(key === undefined ? path : [...path, key]);
    problems.push({ file, line, column, path: shownPath, message });
  };
  const addIssues = (base: readonly PropertyKey[], issues: readonly z.core.$ZodIssue[]) => {
    for (const issue of issues) {
      const path = [...base, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) add(path, `unknown key "${key}"`, key);
      } else {
        add(path, issue.message);
      }
    }
  };

  let raw: unknown;
  try {
    raw = withinStack(() => doc.toJS({ maxAliasCount: checklistLimits.maxAliasCount }), refuse);
  } catch (error) {
    // The yaml package's own words for too many aliases: "Excessive alias count indicates a resource exhaustion attack".
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      refuse(
        `YAML aliases expand too much (more than maxAliasCount ${checklistLimits.maxAliasCount}): a checklist needs no alias bomb`,
      );
    }
    throw error;
  }
  const stepCount = countSteps(raw);
  if (stepCount > checklistLimits.maxSteps) {
    refuse(
      `${stepCount} steps: a checklist may have at most ${checklistLimits.maxSteps} (phases and rollback branches together)`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    add([], 'a checklist must be a YAML mapping (version, name, environments, phases, rollback)');
    throw new ChecklistError(file, problems);
  }
  const parsed = checklistSchema.safeParse(raw);
  if (!parsed.success) addIssues([], parsed.error.issues);
  checkPlaceholders(raw, add);

  // Steps are checked even when the rest of the file has problems, so every problem shows at once.
  const rawObject = raw as Record<string, unknown>;
  const phasePlaces: PhasePlace[] = [];
  const stepLists: { path: PropertyKey[]; steps: unknown[]; phase?: PhasePlace; branch?: RollbackBranch }[] = [];
  if (Array.isArray(rawObject.phases)) {
    rawObject.phases.forEach((rawPhase, index) => {
      const phase = isMapping(rawPhase) ? rawPhase : {};
      const place = { index, id: stringOrUndefined(phase.id), environment: stringOrUndefined(phase.environment) };
      phasePlaces.push(place);
      if (Array.isArray(phase.steps))
        stepLists.push({ path: ['phases', index, 'steps'], steps: phase.steps, phase: place });
    });
  }
  const rollback = rawObject.rollback as Record<string, unknown> | undefined;
  for (const branch of rollbackBranches) {
    const steps = rollback && typeof rollback === 'object' ? rollback[branch] : undefined;
    if (Array.isArray(steps)) stepLists.push({ path: ['rollback', branch], steps, branch });
  }

  const stepsByPath = new Map<string, ChecklistStep>();
  const stepPlaces: StepPlace[] = [];
  const firstLineOfId = new Map<string, number>();
  for (const { path, steps, phase, branch } of stepLists) {
    steps.forEach((rawStep, index) => {
      const stepPath = [...path, index];
      const step = parseStep(
        withMigrationDefaults(rawStep, rawObject.migrations, registry),
        stepPath,
        registry,
        addIssues,
        add,
        source,
      );
      // Placed even when it did not parse, so a reference to it is not reported as unknown too.
      const fields = isMapping(rawStep) ? rawStep : {};
      const kindName = stringOrUndefined(fields.kind);
      const place: StepPlace = {
        path: stepPath,
        id: stringOrUndefined(fields.id),
        kind: kindName !== undefined && registry.has(kindName) ? kindName : undefined,
        line: source.locate(stepPath).line,
        ...(phase ? { phase } : { branch: branch! }),
        position: index,
        references: step ? referencesOf(registry.get(step.kind), step.spec, fields) : [],
      };
      stepPlaces.push(place);
      if (!step) return;
      checkRollbackBranchField(place, step, add);
      const earlier = firstLineOfId.get(step.id);
      if (earlier !== undefined)
        add([...stepPath, 'id'], `duplicate step id "${step.id}" (first used on line ${earlier})`);
      else firstLineOfId.set(step.id, step.line);
      stepsByPath.set(formatPath(stepPath), step);
    });
  }

  if (parsed.success) checkReferences(parsed.data, add);
  const environments = isMapping(rawObject.environments) ? Object.keys(rawObject.environments) : [];
  checkStepReferences({ phases: phasePlaces, steps: stepPlaces, environments, checklistDir: dirname(file) }, add);
  if (problems.length > 0 || !parsed.success) throw new ChecklistError(file, sortByLine(problems));

  return deepFreeze(toChecklist(parsed.data, file, sha256(text), stepsByPath));
}

/**
 * A migrate or rollback step with the checklist's `migrations:` block filled in where the step
 * gives no field of its own (rollback's directory is `migrations_dir`); other steps as they are.
 */
function withMigrationDefaults(rawStep: unknown, block: unknown, registry: StepRegistry): unknown {
  if (!isMapping(block) || !isMapping(rawStep)) return rawStep;
  const kind = typeof rawStep.kind === 'string' ? registry.get(rawStep.kind) : undefined;
  const isRollback = kind === rollbackStep && rawStep.revert_migration !== undefined;
  if (kind !== migrateStep && !isRollback) return rawStep;
  const fields: Record<string, string> = {
    format: 'format',
    directory: isRollback ? 'migrations_dir' : 'directory',
    source: 'source',
  };
  const filled: Record<string, unknown> = { ...rawStep };
  for (const [from, to] of Object.entries(fields)) {
    if (filled[to] === undefined && block[from] !== undefined) filled[to] = block[from];
  }
  return filled;
}

function parseStep(
  rawStep: unknown,
  path: PropertyKey[],
  registry: StepRegistry,
  addIssues: (base: readonly PropertyKey[], issues: readonly z.core.$ZodIssue[]) => void,
  add: (path: readonly PropertyKey[], message: string, key?: string) => void,
  source: SourceMap,
): ChecklistStep | undefined {
  if (rawStep === null || typeof rawStep !== 'object' || Array.isArray(rawStep)) return undefined; // reported by the schema
  const fields = rawStep as Record<string, unknown>;
  const header: Record<string, unknown> = {};
  const kindFields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) (stepHeaderKeys.includes(key) ? header : kindFields)[key] = value;

  const kindName = typeof fields.kind === 'string' && fields.kind !== '' ? fields.kind : undefined;
  const validKinds = `valid kinds: ${[...registry.keys()].sort().join(', ')}`;
  const parsedHeader = stepHeaderSchema.safeParse(header);
  if (!parsedHeader.success) {
    // Without a usable kind the schema would say "expected string, received undefined"; the list of kinds says more.
    const issues = parsedHeader.error.issues.filter((issue) => kindName !== undefined || issue.path[0] !== 'kind');
    addIssues(path, issues);
  }
  if (fields.kind === undefined) add(path, `a step needs a kind (${validKinds})`, 'kind');
  else if (kindName === undefined) add([...path, 'kind'], `kind must be the name of a step kind (${validKinds})`);

  const kind = kindName === undefined ? undefined : registry.get(kindName);
  if (kindName !== undefined && !kind) add([...path, 'kind'], `unknown kind "${kindName}" (${validKinds})`);
  const parsedSpec = kind?.schema.safeParse(kindFields);
  if (parsedSpec && !parsedSpec.success) addIssues(path, parsedSpec.error.issues);

  if (!parsedHeader.success || !parsedSpec?.success) return undefined;
  const h = parsedHeader.data;
  return {
    id: h.id,
    kind: h.kind,
    title: h.title,
    onFail: h.on_fail,
    rollbackBranch: h.rollback_branch,
    spec: parsedSpec.data,
    hash: sha256(canonicalJson({ ...h, spec: parsedSpec.data })),
    line: source.locate(path).line,
  };
}

/** Cross-field rules the per-field schemas cannot express (steps' references: references.ts). */
function checkReferences(data: ChecklistFile, add: (path: readonly PropertyKey[], message: string) => void): void {
  const declared = Object.keys(data.environments);
  const phaseIds = new Set<string>();
  data.phases.forEach((phase, index) => {
    if (!declared.includes(phase.environment)) {
      add(
        ['phases', index, 'environment'],
        `environment "${phase.environment}" is not declared (declared: ${declared.join(', ')})`,
      );
    }
    if (phaseIds.has(phase.id)) add(['phases', index, 'id'], `duplicate phase id "${phase.id}"`);
    phaseIds.add(phase.id);
  });
}

/** A document nested deeper than the stack (`[[[[…`) is refused like any other bad file. */
function withinStack<T>(work: () => T, refuse: (message: string) => never): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) refuse('the YAML nests too deeply to read');
    throw error;
  }
}

function countSteps(raw: unknown): number {
  if (!isMapping(raw)) return 0;
  const lengthOf = (value: unknown) => (Array.isArray(value) ? value.length : 0);
  const phases = Array.isArray(raw.phases) ? raw.phases : [];
  const rollback = isMapping(raw.rollback) ? raw.rollback : {};
  return (
    phases.reduce((sum: number, phase) => sum + (isMapping(phase) ? lengthOf(phase.steps) : 0), 0) +
    Object.values(rollback).reduce((sum: number, steps) => sum + lengthOf(steps), 0)
  );
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function sortByLine(problems: readonly ChecklistProblem[]): ChecklistProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}
