import { z } from 'zod';
import { DEFAULT_LATE_HORIZON_HOURS } from '@switchboard/events';
import type { Topics } from '@switchboard/kafka';

export const aggregatorEnvSchema = z.object({
  AGGREGATOR_GROUP_ID: z.string().default('switchboard-aggregator'),
  AGGREGATOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(256).default(64),
  // one combined ClickHouse write (all owned partitions) at most this often: each write has a large fixed cost
  AGGREGATOR_FLUSH_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  AGGREGATOR_FLUSH_EVENTS: z.coerce.number().int().min(1).default(50_000),
  AGGREGATOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  DEDUP_HORIZON_HOURS: z.coerce.number().int().min(1).max(720).default(168),
  LATE_HORIZON_HOURS: z.coerce.number().positive().default(DEFAULT_LATE_HORIZON_HOURS),
  MAX_FUTURE_SKEW_S: z.coerce.number().nonnegative().default(300),
});

export function aggregatorConfig(env: z.infer<typeof aggregatorEnvSchema>, topics: Topics) {
  return {
    topics,
    groupId: env.AGGREGATOR_GROUP_ID,
    partitionsConcurrently: env.AGGREGATOR_PARTITIONS_CONCURRENTLY,
    flushDelayMs: env.AGGREGATOR_FLUSH_MS,
    flushEvents: env.AGGREGATOR_FLUSH_EVENTS,
    sessionTimeoutMs: env.AGGREGATOR_SESSION_TIMEOUT_MS,
    dedupHorizonHours: env.DEDUP_HORIZON_HOURS,
    lateHorizonMs: env.LATE_HORIZON_HOURS * 3600_000,
    maxFutureSkewMs: env.MAX_FUTURE_SKEW_S * 1000,
  };
}
