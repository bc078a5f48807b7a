import type { Dimension, Granularity, KpiDefinition, KpiOptions } from '@switchboard/kpi';

/** The most windows one series may have; past it the caller should pick a coarser grain. */
export const MAX_WINDOWS = 20_000;

/** What a KPI read asks for: already checked (the query service's params.ts parses it from HTTP). */
export interface KpiQuery {
  kpis: KpiDefinition[];
  from: number;
  to: number;
  granularity: Granularity;
  groupBy: Dimension[];
  /** dimension → allowed values ('' stands for "none") */
  filters: Partial<Record<Dimension, string[]>>;
  options: KpiOptions;
  /** IANA zone of 30m, 1h and 1d windows (UTC when absent) */
  tz?: string;
  /** top_topics asked for, listing this many topics */
  topTopics?: number;
}
