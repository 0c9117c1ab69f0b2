import { z } from 'zod';
import { migrationFormats } from '../db/migrations/formats.js';

/**
 * The checklist file format. These schemas are the documentation too:
 * docs/checklist-format.md's field reference is generated from them (reference.ts).
 * Objects are strict: an unknown key is an error, not silently ignored.
 */
const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_" (e.g. staging-deploy)');

const envVarName = z
  .string()
  .regex(
    /^[A-Z_][A-Z0-9_]*$/,
    'must be the NAME of an environment variable (e.g. STAGING_DATABASE_URL), not a connection string',
  );

export const environmentSchema = z
  .strictObject({
    connection_env: envVarName.describe(
      'name of the environment variable that holds the connection string; the string itself never appears in the file',
    ),
    direct_connection_env: envVarName
      .optional()
      .describe(
        'name of the variable that holds a direct (or session-mode pooler) connection string to the same database, when connection_env goes through a transaction-mode pooler (PgBouncer, Supavisor): shipcheck takes its locks and runs migrations on it',
      ),
  })
  .describe('where an environment lives');

export const metadataSchema = z
  .strictObject({
    migration: z.string().min(1).optional().describe('the migration file this checklist deploys'),
    issue: z.string().min(1).optional().describe('the issue it belongs to, e.g. "#653"'),
    blocked_pr: z
      .string()
      .min(1)
      .optional()
      .describe('the pull request that may not merge before the rollout, e.g. "#654"'),
    description: z.string().min(1).optional().describe('free text shown in reports'),
  })
  .describe('what the checklist is about; shown in plan, status and reports');

/** The fields every step has; the rest of a step's keys belong to its kind's schema. */
export const stepHeaderSchema = z
  .strictObject({
    id: identifier.describe('unique across the whole file (phases and rollback); runs and approvals refer to it'),
    kind: z.string().min(1).describe('the step kind: one of the kinds listed below'),
    title: z.string().min(1).describe('one line shown in the task list and the report'),
    on_fail: z
      .enum(['stop', 'rollback', 'warn'])
      .default('stop')
      .describe('stop: the run ends failed; rollback: run the rollback procedure; warn: record and continue'),
    rollback_branch: z
      .enum(['function_related', 'data_corruption', 'keep_monitoring'])
      .optional()
      .describe(
        'with on_fail: rollback, the branch to run (default function_related; a step that reports data corruption picks data_corruption itself)',
      ),
  })
  .describe('fields every step has');

export const stepHeaderKeys = Object.keys(stepHeaderSchema.shape) as readonly string[];

/** A step is a mapping; its header is checked by stepHeaderSchema and the rest by its kind's schema. */
const stepSchema = z.record(z.string(), z.unknown(), { error: 'a step must be a mapping of fields' });
const stepsSchema = z.array(stepSchema);

export const phaseSchema = z
  .strictObject({
    id: identifier.describe('unique phase id, used by --phase and by gate requirements'),
    title: z.string().min(1).describe('e.g. "Staging deployment"'),
    environment: identifier.describe('one of the names under environments'),
    steps: stepsSchema
      .min(1, 'a phase needs at least one step')
      .describe('the steps, run in order; each has the fields of every step plus those of its kind (below)'),
  })
  .describe('a phase: steps run in order against one environment');

export const rollbackSchema = z
  .strictObject({
    function_related: stepsSchema
      .min(1, 'the function_related branch needs at least one step')
      .describe('steps for when the problem is the new function: drop it and verify the removal'),
    data_corruption: stepsSchema
      .min(1, 'the data_corruption branch needs at least one step')
      .describe('steps for when data was corrupted: restore the backup, then drop the function'),
    keep_monitoring: stepsSchema
      .default([])
      .describe(
        'steps for neither: keep monitoring and decide by impact (e.g. notify); the run ends failed, not rolled back',
      ),
  })
  .describe("the rollback procedure: the seed's decision tree as data");

export const checklistSchema = z
  .strictObject({
    version: z.literal(1).describe('format version; always 1'),
    name: identifier.describe('names runs, leases and gates; keep it stable once runs exist'),
    metadata: metadataSchema.default({}),
    environments: z
      .record(identifier, environmentSchema)
      .refine((envs) => Object.keys(envs).length > 0, 'declare at least one environment')
      .describe('where each environment lives, by name (usually staging and production)'),
    phases: z
      .array(phaseSchema)
      .min(1, 'a checklist needs at least one phase')
      .describe('ordered phases, each running its steps in order against one environment'),
    rollback: rollbackSchema,
    migrations: z
      .strictObject({
        format: z
          .enum(migrationFormats)
          .optional()
          .describe(
            'the format of every migrate and rollback step that does not give its own (shipcheck, supabase, flyway, plain)',
          ),
        directory: z
          .string()
          .min(1)
          .optional()
          .describe(
            'the migration folder, relative to the checklist, of every migrate step (rollback: migrations_dir) that does not give its own',
          ),
        source: z
          .string()
          .regex(/^[A-Za-z0-9_./-]{1,200}$/, 'source is a short name: letters, digits, _ . / -')
          .optional()
          .describe('the shipcheck.migrations namespace of every migrate and rollback step that does not give its own'),
      })
      .optional()
      .describe(
        "where the checklist's migrations are and how they are named: defaults the migrate and rollback steps inherit (a step's own field wins)",
      ),
  })
  .describe('a checklist file');

export type ChecklistFile = z.output<typeof checklistSchema>;
