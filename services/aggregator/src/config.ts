import { z } from 'zod';
import { DEFAULT_LATE_HORIZON_HOURS } from '@switchboard/events';
import type { Topics } from '@switchboard/kafka';

/** A trickle's write waits this many flush intervals, while fewer than TRICKLE_EVENTS records are buffered. */
const TRICKLE_FLUSHES = 5;
const TRICKLE_EVENTS = 2000;

export const aggregatorEnvSchema = z.object({
  AGGREGATOR_GROUP_ID: z.string().default('switchboard-aggregator').describe('consumer group on contact-events.v1'),
  AGGREGATOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(256).default(64).describe('partitions the consumer handles at once (kafkajs partitionsConsumedConcurrently)'),
  // one combined ClickHouse write (all owned partitions) at most this often: each write has a large fixed cost
  AGGREGATOR_FLUSH_MS: z.coerce.number().int().min(0).max(60_000).default(1000).describe('one combined write of all owned partitions at least this often …'),
  AGGREGATOR_FLUSH_EVENTS: z.coerce.number().int().min(1).default(50_000).describe('… or once this many records are buffered: the backpressure bound over all partitions'),
  // the wait and the threshold as measured at 300 events/s (docs/architecture.md, "The write path": a trickle waits longer)
  AGGREGATOR_TRICKLE_EVENTS: z.coerce.number().int().min(0).default(TRICKLE_EVENTS).describe(`while fewer records than this are buffered, the write waits ${TRICKLE_FLUSHES} × AGGREGATOR_FLUSH_MS instead (a write costs the same statements for 300 records as for 30,000); 0 turns it off`),
  AGGREGATOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000).describe('consumer-group session timeout: how soon a crashed replica’s partitions move'),
  DEDUP_HORIZON_HOURS: z.coerce.number().int().min(1).max(720).default(168).describe('how long a counted event_id is remembered in the ledger'),
  LATE_HORIZON_HOURS: z.coerce.number().positive().default(DEFAULT_LATE_HORIZON_HOURS).describe('events older than this go to the DLQ as late'),
  MAX_FUTURE_SKEW_S: z.coerce.number().nonnegative().default(300).describe('events further ahead of the clock go to the DLQ as future'),
});

export function aggregatorConfig(env: z.infer<typeof aggregatorEnvSchema>, topics: Topics) {
  return {
    topics,
    groupId: env.AGGREGATOR_GROUP_ID,
    partitionsConcurrently: env.AGGREGATOR_PARTITIONS_CONCURRENTLY,
    flushDelayMs: env.AGGREGATOR_FLUSH_MS,
    flushEvents: env.AGGREGATOR_FLUSH_EVENTS,
    trickle: { events: env.AGGREGATOR_TRICKLE_EVENTS, delayMs: TRICKLE_FLUSHES * env.AGGREGATOR_FLUSH_MS },
    sessionTimeoutMs: env.AGGREGATOR_SESSION_TIMEOUT_MS,
    dedupHorizonHours: env.DEDUP_HORIZON_HOURS,
    lateHorizonMs: env.LATE_HORIZON_HOURS * 3600_000,
    maxFutureSkewMs: env.MAX_FUTURE_SKEW_S * 1000,
  };
}
