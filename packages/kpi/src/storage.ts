import { DIMENSIONS, type Dimension } from './dimensions';
import type { Granularity } from './windows';

/**
 * The tables the store keeps the measures in, and where each query reads them from
 * (docs/architecture.md, "What the store keeps"). Every flush inserts into each of them, so
 * each table costs an insert per flush in proportion to its rows; a row keyed by the agent
 * is about one per agent and minute in a flush at any grain, a row without the agent ~2 %
 * of that. So the agent is kept at two grains, everything else at four.
 */
export interface StoredTable {
  table: string;
  grain: Granularity;
  /** keyed by agent_id too (every DIMENSION), or by every dimension but the agent */
  agent: boolean;
  /**
   * Where the rows are written when `table` is a view of two tables (migration 0017): agent
   * state time split across the minutes it spanned in `stateTime` (the key and the five
   * state-time measures, STATE_TIME_COLUMNS), every other row in `rows`. Absent: `table` is written itself.
   */
  split?: { rows: string; stateTime: string };
}

export const STORED_TABLES = [
  { table: 'kpi_agg_1m', grain: '1m', agent: true, split: { rows: 'kpi_agg_1m_rows', stateTime: 'kpi_agg_1m_state_time' } },
  { table: 'kpi_agg_1h', grain: '1h', agent: true, split: { rows: 'kpi_agg_1h_rows', stateTime: 'kpi_agg_1h_state_time' } },
  { table: 'kpi_queue_1m', grain: '1m', agent: false },
  { table: 'kpi_queue_15m', grain: '15m', agent: false },
  { table: 'kpi_queue_1h', grain: '1h', agent: false },
  { table: 'kpi_queue_1d', grain: '1d', agent: false },
] as const satisfies readonly StoredTable[];

/** The tables holding a stored table's rows (whose parts say whether what was read from it changed). */
export function physicalTables(table: string): string[] {
  const t = (STORED_TABLES as readonly StoredTable[]).find((x) => x.table === table);
  return t?.split ? [t.split.rows, t.split.stateTime] : [table];
}

/** The dimensions of the tables without the agent. */
export const QUEUE_DIMENSIONS = DIMENSIONS.filter((d) => d !== 'agent_id') as Exclude<Dimension, 'agent_id'>[];

const table = (agent: boolean, grain: Granularity) => STORED_TABLES.find((t) => t.agent === agent && t.grain === grain)!.table;

/** True when a query needs rows keyed by agent: it groups or filters by agent_id. */
export function needsAgent(q: { groupBy: readonly string[]; filters: Partial<Record<string, unknown>> }): boolean {
  return q.groupBy.includes('agent_id') || q.filters.agent_id !== undefined;
}

/**
 * The stored table a granularity's windows are merged from. `zoned`: windows aligned to a
 * time zone other than UTC (30m, 1h, 1d), read from a table whose windows every zone's
 * boundaries fall on (offsets are multiples of 15 minutes).
 */
export function storedSource(g: Granularity, zoned: boolean, agent: boolean): { table: string; grain: Granularity } {
  if (agent) {
    const grain: Granularity = zoned || (g !== '1h' && g !== '1d') ? '1m' : '1h';
    return { table: table(true, grain), grain };
  }
  const grain: Granularity = zoned ? '15m' : g === '5m' ? '1m' : g === '30m' ? '15m' : g;
  return { table: table(false, grain), grain };
}

/** Where running totals read whole days before a range, and the minutes of its first day. */
export function historySources(agent: boolean): { days: string; minutes: string } {
  return agent ? { days: table(true, '1h'), minutes: table(true, '1m') } : { days: table(false, '1d'), minutes: table(false, '1m') };
}
