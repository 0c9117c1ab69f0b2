import { describe, expect, it } from 'vitest';
import { approvalStep } from '../../../src/steps/approval.js';
import { migrateStep } from '../../../src/steps/migrate.js';
import { sqlStep } from '../../../src/steps/sql.js';
import { stepTraits } from '../../../src/steps/traits.js';

describe('stepTraits: what one step is, from its kind and its fields', () => {
  const query = { query: 'select 1', expect: { row_count: 1 } };

  it('a read-only sql step is read-only and idempotent', () => {
    expect(stepTraits(sqlStep, sqlStep.schema.parse(query))).toEqual({
      mutates: false,
      idempotent: true,
      rehearsable: true,
      rejectsRun: false,
      signOff: false,
      gateEvidence: undefined,
    });
  });

  it('an sql step with mutates: true takes the advisory lock and is not repeated without asking (its commit may have landed)', () => {
    expect(stepTraits(sqlStep, sqlStep.schema.parse({ ...query, mutates: true }))).toEqual({
      mutates: true,
      idempotent: false,
      rehearsable: true,
      rejectsRun: false,
      signOff: false,
      gateEvidence: undefined,
    });
  });

  it('a kind without per-step traits keeps its own', () => {
    const { idempotent, mutates, rehearsable } = migrateStep;
    expect(stepTraits(migrateStep, migrateStep.schema.parse({ migration: '024' }))).toEqual({
      idempotent,
      mutates,
      rehearsable,
      rejectsRun: false,
      signOff: false,
      gateEvidence: 'applies',
    });
  });

  it('an approval step declares that its failure is a rejection (the engine reads the trait, never the kind name)', () => {
    expect(stepTraits(approvalStep, approvalStep.schema.parse({ role: 'Product Owner' })).rejectsRun).toBe(true);
    expect(stepTraits(migrateStep, migrateStep.schema.parse({ migration: '024' })).rejectsRun).toBe(false);
  });
});
