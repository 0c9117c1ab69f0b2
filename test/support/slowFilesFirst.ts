import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first (from a whole run's JSON report on the embedded
 * server, docs/performance.md §6). With five workers the suite ends when its last long file
 * does: started last, monitorResume alone once took the run from ~73 to ~81 s. vitest orders by
 * the last run's durations only when it has them (its cache, absent from CI's clean clone),
 * otherwise by file size (the unit project runs before, as a group of its own). A file missing
 * here only runs later; update the list when a file becomes one of the slowest.
 */
export const slowestFiles = [
  'test/integration/demo.test.ts',
  'test/integration/steps/monitorShield.test.ts',
  'test/integration/steps/monitorRestart.test.ts',
  'test/integration/initExamples.test.ts',
  'test/integration/monitorResume.test.ts',
  'test/integration/httpLoad.test.ts',
  'test/integration/rollbackSession.test.ts',
  'test/integration/engineRobustness.test.ts',
  'test/integration/monitorSources.test.ts',
  'test/integration/embeddedFallback.test.ts',
  'test/integration/engine.test.ts',
  'test/integration/rehearsalSignals.test.ts',
  'test/integration/demoSignals.test.ts',
];

/** vitest's order (cached durations or size), with the slowest files moved to the front. */
export class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = slowestFiles.indexOf(relative(this.ctx.config.root, spec.moduleId));
      return index === -1 ? slowestFiles.length : index;
    };
    // Array.prototype.sort is stable: the other files keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
