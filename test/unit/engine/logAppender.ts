/**
 * A child process that appends to one run log at the same time as others
 * (runLog.test.ts): N step_progress events, each through appendEvent, as
 * `shipcheck approve` appends beside a running run.
 *
 *   node --import tsx test/unit/engine/logAppender.ts RUN_DIR NAME COUNT   (the test runs it bundled: test/support/bundle.ts)
 */
import { appendEvent } from '../../../src/engine/runLog.js';

const [runDir, name, count] = process.argv.slice(2) as [string, string, string];
for (let i = 0; i < Number(count); i++) {
  await appendEvent(runDir, {
    type: 'step_progress',
    at: new Date().toISOString(),
    stepId: 'a',
    message: `${name} ${i}`,
  });
}
