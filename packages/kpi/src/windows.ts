/** Window lengths the store keeps rollups for. */
export const GRANULARITIES = { '1m': 60, '5m': 300, '15m': 900, '30m': 1800, '1h': 3600, '1d': 86400 } as const;
export type Granularity = keyof typeof GRANULARITIES;
export const GRANULARITY_IDS = Object.keys(GRANULARITIES) as Granularity[];

export function granularityMs(g: Granularity): number {
  return GRANULARITIES[g] * 1000;
}

/** Start of the UTC-aligned window holding an event time (epoch ms). Event time, never arrival time. */
export function windowStart(occurredAt: number, g: Granularity): number {
  const size = granularityMs(g);
  return Math.floor(occurredAt / size) * size;
}

/** The window starts covering [from, to): from aligned down, to exclusive. */
export function windowStarts(from: number, to: number, g: Granularity): number[] {
  const size = granularityMs(g);
  const out: number[] = [];
  for (let t = windowStart(from, g); t < to; t += size) out.push(t);
  return out;
}
