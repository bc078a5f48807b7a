import type { ContactEvent } from '@switchboard/events';

/** Dimensions every aggregate row is keyed by (besides tenant and window), docs/kpis.md. */
export const DIMENSIONS = ['queue_id', 'agent_id', 'team_id', 'channel', 'direction', 'topic', 'source'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Stored as '' when the event has none, since ClickHouse keys are not nullable; the API says null. */
export function dimValue(e: ContactEvent, d: Dimension): string {
  return e[d] ?? '';
}
