/** The value of one sample line (`name{labels} value`) of a Prometheus text exposition; 0 when absent. */
export function sampleValue(metricsText: string, seriesWithLabels: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${seriesWithLabels} `));
  return line === undefined ? 0 : Number(line.slice(seriesWithLabels.length + 1));
}
