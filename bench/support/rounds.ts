/**
 * Runs every contender `rounds` times, rotating the order each round (A B C, B C A, C A B)
 * so no contender always runs first on a cold server or last on a hot one, and returns
 * each one's runs in round order. A ratio is taken within a round (both sides saw the
 * same machine load) and the median of those ratios is reported.
 */
export async function inRotatingRounds<Contender extends { readonly name: string }, Run>(
  contenders: readonly Contender[],
  rounds: number,
  runOne: (contender: Contender, round: number) => Promise<Run>,
): Promise<Map<Contender, Run[]>> {
  const runs = new Map<Contender, Run[]>(contenders.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(i + round) % contenders.length]!;
      runs.get(contender)!.push(await runOne(contender, round));
    }
  }
  return runs;
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
