import { cpus, loadavg } from 'node:os';

/** What the figures were measured on, and how busy the machine was: a noisy run shows itself. */
export interface MachineLoad {
  readonly cores: number;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly [number, number, number];
}

export function machineLoad(): MachineLoad {
  const [one, five, fifteen] = loadavg();
  return { cores: cpus().length, loadAverage: [round(one ?? 0), round(five ?? 0), round(fifteen ?? 0)] };
}

/** "2 cores, load 0.42 / 0.61 / 0.80 (1/5/15 min)" plus a warning when others were using the CPUs. */
export function describeLoad(load: MachineLoad): string {
  const [one, five, fifteen] = load.loadAverage;
  const busy = one > load.cores * 0.5 ? ' — busy: other work was running, treat the figures as noisy' : '';
  return `${load.cores} cores, load ${one.toFixed(2)} / ${five.toFixed(2)} / ${fifteen.toFixed(2)} (1/5/15 min)${busy}`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
