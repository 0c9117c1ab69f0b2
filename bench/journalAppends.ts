/**
 * What one run-log append costs as the log grows: a 24-hour monitor at a 2 s
 * interval writes 43,200 step_progress events, so the cost of an append must not
 * depend on how many came before it (before applyEvent, the journal re-folded the
 * whole log on each one: 1,000 appends took 0.8 s, 4,000 took 36 s).
 *
 * Two figures per log size, each as the mean cost of the first and of the last
 * 1,000 appends (equal when the cost is constant):
 * - journal: RunJournal.record as a run uses it (lock, tail read, chained line,
 *   write, fsync, applyEvent); fsync dominates;
 * - fold alone: applyEvent over the same events, in memory.
 *
 *   npx tsx bench/journalAppends.ts [--sizes 1000,10000,100000] [--json]
 *
 * Writes its logs under the system temp directory and removes them.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunEvent } from '../src/engine/events.js';
import { RunJournal } from '../src/engine/journal.js';
import { silentRenderer } from '../src/engine/renderers/types.js';
import { eventsFileName } from '../src/engine/runLog.js';
import { applyEvent, startState } from '../src/engine/state.js';
import { describeLoad, machineLoad } from './support/machine.js';
import { fixed, markdownTable } from './support/table.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    json: { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1000))
  throw new Error(`--sizes must be whole numbers of at least 1000, got "${values.sizes}"`);
const window = 1000;

const at = new Date().toISOString();
const runStarted: Extract<RunEvent, { type: 'run_started' }> = {
  type: 'run_started',
  at,
  runId: 'bench',
  checklist: 'bench',
  checklistFile: '/bench.yaml',
  checklistHash: 'h',
  environment: 'staging',
  target: 'localhost:5432/bench',
  rehearse: false,
  phases: [{ id: 'watch', title: 'Watch', environment: 'staging' }],
  runPhases: ['watch'],
  metadata: {},
  holder: 'bench@host',
};
const stepStarted: RunEvent = {
  type: 'step_started',
  at,
  stepId: 'monitor',
  phaseId: 'watch',
  kind: 'monitor',
  title: 'Monitor',
  hash: 'h',
  attempt: 1,
};
const sample = (i: number): RunEvent => ({
  type: 'step_progress',
  at,
  stepId: 'monitor',
  // The length of a real monitor sample's line.
  message: `sample ${i}: 12.3 actions/s, p95 41.2 ms, 2.0 db calls/action, 0 deadlocks, 0 lock waits, 0 errors`,
});

interface Series {
  readonly appends: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly totalS: number;
}

/** Mean ms per append over the first and the last `window` appends, and the total. */
function timed(appends: number, append: (i: number) => void | Promise<void>): Promise<Series> {
  return (async () => {
    const marks: number[] = [];
    const start = performance.now();
    for (let i = 0; i < appends; i++) {
      if (i === window || i === appends - window) marks.push(performance.now());
      await append(i);
    }
    const end = performance.now();
    const firstEnd = appends === window ? end : marks[0]!;
    const lastStart = appends === window ? start : marks.at(-1)!;
    return {
      appends,
      firstMs: (firstEnd - start) / window,
      lastMs: (end - lastStart) / window,
      totalS: (end - start) / 1000,
    };
  })();
}

async function journalSeries(appends: number): Promise<Series & { logBytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'shipcheck-bench-journal-'));
  try {
    const journal = await RunJournal.create('bench', dir, silentRenderer, []);
    const { at: _at, ...started } = runStarted;
    await journal.record(started);
    await journal.record({
      type: 'step_started',
      stepId: 'monitor',
      phaseId: 'watch',
      kind: 'monitor',
      title: 'Monitor',
      hash: 'h',
      attempt: 1,
    });
    const series = await timed(appends, (i) => {
      const { at: _at, ...event } = sample(i) as Extract<RunEvent, { type: 'step_progress' }>;
      return journal.record(event);
    });
    return { ...series, logBytes: (await stat(join(dir, eventsFileName))).size };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function foldSeries(appends: number): Promise<Series> {
  const events = Array.from({ length: appends }, (_, i) => sample(i));
  let state = applyEvent(startState(runStarted), stepStarted);
  return timed(appends, (i) => {
    state = applyEvent(state, events[i]!);
  });
}

const loadBefore = machineLoad();
await foldSeries(window); // JIT warm-up: the first figures would otherwise measure the compiler
const results: { appends: number; journal: Series & { logBytes: number }; fold: Series }[] = [];
for (const appends of sizes) {
  const fold = await foldSeries(appends);
  const journal = await journalSeries(appends);
  results.push({ appends, journal, fold });
  if (!values.json) process.stderr.write(`${appends} appends: ${journal.totalS.toFixed(1)} s\n`);
}

const loadAfter = machineLoad();
if (values.json) {
  process.stdout.write(`${JSON.stringify({ loadBefore, loadAfter, results })}\n`);
} else {
  const rows = results.map(({ appends, journal, fold }) => [
    appends.toLocaleString('en'),
    fixed(journal.firstMs, 3),
    fixed(journal.lastMs, 3),
    fixed(journal.lastMs / journal.firstMs, 2),
    fixed(journal.totalS, 1),
    `${(journal.logBytes / 1024 / 1024).toFixed(1)} MiB`,
    fixed(fold.firstMs * 1000, 2),
    fixed(fold.lastMs * 1000, 2),
  ]);
  process.stdout.write(`before: ${describeLoad(loadBefore)}\nafter:  ${describeLoad(loadAfter)}\n\n`);
  process.stdout.write(
    `${markdownTable(
      [
        'appends',
        'journal ms/append, first 1,000',
        'last 1,000',
        'last/first',
        'journal total s',
        'log size',
        'fold µs/event, first 1,000',
        'last 1,000',
      ],
      rows,
      [true, true, true, true, true, true, true, true],
    )}\n`,
  );
}
