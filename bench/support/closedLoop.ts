import { performance } from 'node:perf_hooks';
import { summarizeLatencies, type LatencySummary } from '../../src/metrics/latency.js';

export interface ClosedLoopResult {
  readonly callsPerSecond: number;
  readonly calls: number;
  readonly errors: number;
  readonly latencyMs: LatencySummary;
  /** This process's CPU time (user + system) per call, in microseconds: the client's cost. */
  readonly clientCpuMicrosPerCall: number;
}

/**
 * `clients` workers each call `call(i)` back to back until `seconds` have passed:
 * the same closed loop pgbench runs, so the rates compare.
 */
export async function closedLoop(options: {
  clients: number;
  seconds: number;
  call: (sequence: number) => Promise<unknown>;
}): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  let sequence = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await options.call(sequence++);
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const attempts = latencies.length + errors;
  return {
    callsPerSecond: Math.round((latencies.length / elapsed) * 10) / 10,
    calls: latencies.length,
    errors,
    latencyMs: summarizeLatencies(latencies),
    clientCpuMicrosPerCall: attempts === 0 ? Number.NaN : (cpu.user + cpu.system) / attempts,
  };
}
