import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../src/', import.meta.url).pathname;

/** The generic monitor/baseline code: Shield's metric names live in src/shield/presets only. */
async function genericFiles(): Promise<string[]> {
  const metrics = (await readdir(join(root, 'metrics')))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, 'metrics', f));
  const monitor = (await readdir(join(root, 'steps/monitor'))).map((f) => join(root, 'steps/monitor', f));
  return [...metrics, ...monitor, join(root, 'steps/monitor.ts'), join(root, 'steps/baseline.ts')];
}

describe('generic metrics modules', () => {
  it("name none of the Shield API's metrics", async () => {
    for (const file of await genericFiles()) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toMatch(
        /shield_action_duration_seconds|shield_actions_total|shield_action_db_round_trips|shield_writer\b|shield_http_errors_total/,
      );
    }
  });
});
