import type { ClickHouseClient } from '@clickhouse/client';

/**
 * One active part of a table. A part's name stands for fixed content: ClickHouse writes every
 * insert as a new part and replaces parts on merges, mutations and TTL drops, so an answer
 * read from a set of parts stays right while the same names are the active ones. Both caches
 * of the read path (the /v1/kpis chunks and the realtime reader's earlier days) keep answers
 * against these names (docs/architecture.md, "Caches").
 */
export interface ActivePart {
  table: string;
  name: string;
  partition: string;
  /** min and max of the partition key's time column (epoch s); both 0 when the part does not say */
  lo: number;
  hi: number;
}

/**
 * The active parts of `tables`, those of partitions from `fromPartition` on (partition ids of
 * day and month partitions sort as their time does). Read it before the rows it guards.
 */
export async function activeParts(client: ClickHouseClient, tables: readonly string[], fromPartition = ''): Promise<ActivePart[]> {
  const rs = await client.query({
    query: `SELECT table, name, partition, toUInt32(min_time) AS lo, toUInt32(max_time) AS hi FROM system.parts
            WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)} AND partition >= {first:String}`,
    query_params: { tables, first: fromPartition },
    format: 'JSONCompactEachRow',
  });
  return (await rs.json<[string, string, string, number, number]>()).map(([table, name, partition, lo, hi]) => ({ table, name, partition, lo: Number(lo), hi: Number(hi) }));
}

/** `table/name`: a part's identity across tables. */
export const partKey = (p: Pick<ActivePart, 'table' | 'name'>): string => `${p.table}/${p.name}`;

/** The parts whose rows may fall in [from, to) ms (a part without a time range: always). */
export function partsOverlapping(parts: ActivePart[], from: number, to: number): ActivePart[] {
  return parts.filter((p) => (p.lo === 0 && p.hi === 0) || (p.lo < to / 1000 && p.hi >= from / 1000));
}

/** One string for a set of parts: equal exactly when the sets are. */
export function partsFingerprint(parts: Iterable<Pick<ActivePart, 'table' | 'name'>>): string {
  return [...parts].map(partKey).sort().join(',');
}

/** What ClickHouse itself reports about the write path: active parts by table and its own counters of queries, rows, parts and merges. */
export interface EngineCounters {
  parts: [table: string, active: number][];
  events: [event: string, value: number][];
  /**
   * The engine's own memory accounting (system.metrics MemoryTracking: embedded, chDB's share of
   * the process; on a server, the server's) and the merges running now with the memory they
   * hold (system.merges). A merge writing a wide part of a wide table held ~500 MiB, the
   * aggregator's peak while draining (docs/architecture.md, "Merges in compact parts").
   */
  memory: { tracked: number; merges: number; mergeBytes: number };
}

const ENGINE_EVENTS = ['InsertQuery', 'SelectQuery', 'InsertedRows', 'InsertedCompactParts', 'InsertedWideParts', 'Merge', 'MergedRows'];

export async function engineCounters(client: ClickHouseClient): Promise<EngineCounters> {
  const [parts, events, memory] = await Promise.all([
    client.query({ query: 'SELECT table, count() AS n FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table', format: 'JSONCompactEachRow' }).then((r) => r.json<[string, string]>()),
    client.query({ query: 'SELECT event, value FROM system.events WHERE event IN {events:Array(String)}', query_params: { events: ENGINE_EVENTS }, format: 'JSONCompactEachRow' }).then((r) => r.json<[string, string]>()),
    client.query({
      query: "SELECT (SELECT sum(value) FROM system.metrics WHERE metric = 'MemoryTracking'), count(), sum(memory_usage) FROM system.merges WHERE database = currentDatabase()",
      format: 'JSONCompactEachRow',
    }).then((r) => r.json<[string, string, string]>()),
  ]);
  const [tracked, merges, mergeBytes] = (memory[0] ?? [0, 0, 0]).map(Number) as [number, number, number];
  return { parts: parts.map(([t, n]) => [t, Number(n)]), events: events.map(([e, v]) => [e, Number(v)]), memory: { tracked, merges, mergeBytes } };
}
