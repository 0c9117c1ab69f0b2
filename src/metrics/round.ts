/** `value` rounded to `digits` decimals: figures in evidence stay readable. */
export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
