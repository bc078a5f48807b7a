import { z } from 'zod';

export const queryEnvSchema = z.object({
  // /v1/kpis answers kept per day of windows (see kpi-cache.ts); 0 turns the cache off
  QUERY_CACHE_MB: z.coerce.number().min(0).max(65_536).default(256).describe('memory for /v1/kpis answers kept per UTC day of windows (least recently used day out first); 0 turns it off'),
});

export interface QueryConfig {
  cacheBytes: number;
}

export function queryConfig(env: z.infer<typeof queryEnvSchema>): QueryConfig {
  return { cacheBytes: Math.floor(env.QUERY_CACHE_MB * 1024 * 1024) };
}

/** what a query service gets when nothing is configured */
export const DEFAULT_QUERY_CONFIG: QueryConfig = queryConfig(queryEnvSchema.parse({}));
