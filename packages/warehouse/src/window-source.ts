import { granularityMs, historySources, isZonedGrain, needsAgent, storedSource } from '@switchboard/kpi';
import type { KpiQuery } from './kpi-query';

/** Where a grain's windows are read from, and the SQL of a row's window start (epoch s). */
export interface WindowSource {
  table: string;
  ts(column: string): string;
  /** where running totals read the days before a range and the minutes of its first day */
  history: { days: string; minutes: string };
}

/**
 * Each query reads the smallest stored table that has its windows and its dimensions
 * (storedSource in the KPI package): by agent from kpi_agg_1m / kpi_agg_1h, otherwise from the
 * kpi_queue_* tables, whose rows have no agent and are ~50 times fewer. A granularity without
 * a table of its own is merged from a finer one (5m from 1m, 30m from 15m, 1d by agent from
 * 1h). Windows in another zone that differ from the UTC ones (30m, 1h, 1d) are merged from a
 * table whose windows every zone's boundaries fall on (offsets are multiples of 15 minutes):
 * a local day across a DST change is the 92 or 100 quarter hours it has. The zone name was
 * checked against the runtime's zones and a strict pattern before it reaches SQL as a literal.
 */
export function windowSource(q: Pick<KpiQuery, 'granularity' | 'groupBy' | 'filters'>, tz: string): WindowSource {
  const g = q.granularity;
  const agent = needsAgent(q);
  const zoned = isZonedGrain(g, tz);
  const stored = storedSource(g, zoned, agent);
  const history = historySources(agent);
  if (!zoned) {
    const seconds = granularityMs(g) / 1000;
    return { table: stored.table, history, ts: (c) => (c === 'bucket' && stored.grain === g ? 'toUnixTimestamp(bucket)' : `toUnixTimestamp(toStartOfInterval(${c}, INTERVAL ${seconds} SECOND))`) };
  }
  const zone = `'${tz}'`;
  const start = (c: string) => (g === '1d' ? `toStartOfDay(${c}, ${zone})` : g === '1h' ? `toStartOfHour(${c}, ${zone})` : `toStartOfInterval(${c}, INTERVAL 30 MINUTE, ${zone})`);
  return { table: stored.table, history, ts: (c) => `toUnixTimestamp(${start(c)})` };
}
