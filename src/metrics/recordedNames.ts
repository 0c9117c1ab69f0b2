import { formerFigureNames, formerNames } from '../shield/presets/formerRecordedNames.js';

/*
 * Runs logged before an app's figures had generic names hold Shield's (the preset's former
 * names); `currentNames` and `currentFigures` read them as today's wherever recorded figures
 * are read back (the baseline a monitor compares with, a resumed window's checkpoints, the
 * report's charts), so such a run still resumes, compares and charts.
 */

/**
 * `record` with its former names read as today's; a key recorded under today's name wins.
 *
 * @example currentNames({ shield_failure_rate: 0.01, deadlocks: 0 }) // { app_failure_rate: 0.01, deadlocks: 0 }
 */
export function currentNames<T = unknown>(record: Readonly<Record<string, T>> | object): Record<string, T> {
  return renamed(record, formerNames);
}

/**
 * Recorded app figures (AppFigures) with their former field names read as today's.
 *
 * @example currentFigures({ actions: 40, failed: 0 }) // { requests: 40, failed: 0 }
 */
export function currentFigures<T = unknown>(figures: Readonly<Record<string, T>> | object): Record<string, T> {
  return renamed(figures, formerFigureNames);
}

function renamed<T>(record: object, names: Readonly<Record<string, string>>): Record<string, T> {
  const entries = Object.entries(record) as [string, T][];
  const kept = entries.flatMap(([key, value]): [string, T][] => {
    const name = Object.hasOwn(names, key) ? names[key]! : key;
    return name !== key && Object.hasOwn(record, name) ? [] : [[name, value]];
  });
  // fromEntries defines own properties: a recorded "__proto__" key stays a key.
  return Object.fromEntries(kept);
}
