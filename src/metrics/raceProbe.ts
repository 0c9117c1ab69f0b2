import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { CheckFailedError } from '../errors.js';
import { assertWriterUsable } from '../shield/http/writerSelection.js';
import { runConcurrentActions } from '../shield/operator/concurrent.js';
import { platformProblem, userIdProblem } from '../shield/operator/offenderInput.js';
import { isWriterName, type WriterName } from '../shield/writers/index.js';

/**
 * The seed's "race condition events": simultaneous actions on one probe offender,
 * counting the updates that were reported done but do not show in the row.
 */
export const raceProbeSchema = z.strictObject({
  actions: z
    .number()
    .int()
    .min(2)
    .max(1000)
    .default(10)
    .describe('simultaneous actions on the probe offender (2 to 1000)'),
  platform: z
    .string()
    .default('twitter')
    .superRefine((p, ctx) => {
      const problem = platformProblem(p);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('the probe offender\'s platform, a lower-case name like "twitter"'),
  user_id: z
    .string()
    .default('shipcheck_race_probe')
    .superRefine((id, ctx) => {
      const problem = userIdProblem(id);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe("the probe offender's user id in the test organization; its row is deleted before and after"),
  writer: z
    .enum(['current', 'rpc', 'legacy'])
    .default('current')
    .describe(
      'current: the writer the Shield API reports in its metrics when they are read, else rpc once migration 024 is applied, legacy before',
    ),
});

export type RaceProbeSpec = z.infer<typeof raceProbeSchema>;

export interface RaceProbeResult {
  readonly writer: WriterName;
  /** Why that writer: "Shield API", "migration 024 applied", … */
  readonly writerFrom: string;
  readonly actions: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Race events: updates lost to the read-modify-write race. */
  readonly lost: number;
  readonly latencyMsP95: number;
  readonly dbCallsPerAction: number;
}

/**
 * Fires the probe with the writer the app uses now (before 024: the legacy
 * read-modify-write, which loses updates) and deletes the probe row again.
 */
export async function runRaceProbe(
  spec: RaceProbeSpec,
  target: { readonly db: Queryable; readonly connectionString: string },
  shieldWriter: string | null,
): Promise<RaceProbeResult> {
  const { writer, from } = await probeWriter(spec, target.db, shieldWriter);
  const result = await runConcurrentActions(target.connectionString, {
    platform: spec.platform,
    platformUserId: spec.user_id,
    actions: spec.actions,
    writer,
    reset: true,
    cleanup: true,
  });
  return {
    writer,
    writerFrom: from,
    actions: result.requested,
    succeeded: result.succeeded,
    failed: result.failed,
    lost: Math.max(0, result.lost),
    latencyMsP95: result.latencyMs.p95,
    dbCallsPerAction: result.roundTripsPerAction,
  };
}

async function probeWriter(
  spec: RaceProbeSpec,
  db: Queryable,
  shieldWriter: string | null,
): Promise<{ writer: WriterName; from: string }> {
  if (spec.writer !== 'current') return { writer: spec.writer, from: 'named in the step' };
  if (shieldWriter !== null && isWriterName(shieldWriter))
    return { writer: shieldWriter, from: 'the Shield API in use' };
  try {
    await assertWriterUsable(db, 'rpc');
    return { writer: 'rpc', from: 'migration 024 applied' };
  } catch (error) {
    if (error instanceof CheckFailedError) return { writer: 'legacy', from: 'migration 024 not applied' };
    throw error;
  }
}
