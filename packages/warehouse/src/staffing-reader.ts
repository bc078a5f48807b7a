import type { ClickHouseClient } from '@clickhouse/client';
import {
  STAFFING_AHT_TRAILING_MS, STAFFING_INTERVAL_MS, needsAgent, quantityKey, storedSource, windowStaffing, zonedWindowEnd,
  type IntervalSums, type Quantity, type StaffingMeasure, type StaffingTarget,
} from '@switchboard/kpi';
import type { HistoryRead, HistoryValues } from './history-types';
import { filterConditions } from './filter-sql';

type StaffingQuantity = Extract<Quantity, { kind: 'staffing' }>;

/**
 * The staffing quantities (agents_required and its variants, docs/staffing.md) per group and
 * window. Erlang is not linear, so they are never computed from a window's merged row: the
 * sums each 15-minute staffing interval needs (offered, handle time, waits, abandons) are read
 * per interval and group, from the window's intervals back to the 2 hours before the first
 * (the handle-time fallback of an interval without wrap-ups), and windowStaffing in the KPI
 * package combines them. Windows of 15m and coarser are whole intervals in every zone (zone
 * offsets are multiples of 15 minutes), read from kpi_queue_15m; a merged read (the alerter's
 * sliding window) counts its intervals back from its end, read from the 1-minute rows.
 */
export async function readStaffing(client: ClickHouseClient, r: HistoryRead, out: HistoryValues): Promise<void> {
  const wanted = [...r.quantities].filter((e): e is [string, StaffingQuantity] => e[1].kind === 'staffing');
  if (wanted.length === 0) return;
  const tz = r.q.tz ?? 'UTC';
  const spans: [number, number][] = r.merged ? [[r.windows[0]!, r.end]] : r.windows.map((w) => [w, zonedWindowEnd(w, r.q.granularity, tz)]);
  for (const [from, to] of spans) {
    if ((to - from) % STAFFING_INTERVAL_MS !== 0) {
      throw new Error(`staffing KPIs need whole 15-minute intervals; [${new Date(from).toISOString()}, ${new Date(to).toISOString()}) is not`);
    }
  }
  // interval starts are `origin` modulo 15 minutes (0 unless a merged read ends off the quarter hour)
  const originS = ((r.end / 1000) % (STAFFING_INTERVAL_MS / 1000));
  const source = storedSource(originS === 0 ? '15m' : '1m', false, needsAgent(r.q));
  const first = spans[0]![0] - STAFFING_AHT_TRAILING_MS + STAFFING_INTERVAL_MS;
  const dims = r.q.groupBy;
  const params: Record<string, unknown> = { tenant: r.tenant, first: Math.max(0, first) / 1000, end: r.end / 1000, origin: originS };
  const where = ['tenant_id = {tenant:String}', 'bucket >= toDateTime({first:UInt32})', 'bucket < toDateTime({end:UInt32})', ...filterConditions(r.q.filters, params)];
  const ts = source.grain === '15m' ? 'toUnixTimestamp(bucket)' : 'toUnixTimestamp(bucket) - ((toUnixTimestamp(bucket) - {origin:UInt32}) % 900)';
  const sql = `
    SELECT ${ts} AS ts${dims.map((d) => `, ${d}`).join('')},
      toFloat64(sum(queued)) AS queued, toFloat64(sum(handle_ms)) AS handle_ms, toFloat64(sum(wrapups)) AS wrapups,
      toFloat64(sum(abandoned_all)) AS abandoned_all, toFloat64(sum(answered_wait_ms)) AS answered_wait_ms, toFloat64(sum(abandoned_wait_ms)) AS abandoned_wait_ms
    FROM ${source.table}
    WHERE ${where.join(' AND ')}
    GROUP BY ts${dims.map((d) => `, ${d}`).join('')}`;
  const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  const byGroup = new Map<string, Map<number, IntervalSums>>();
  for (const row of await rs.json<Record<string, unknown>>()) {
    const k = JSON.stringify(dims.map((d) => String(row[d] ?? '')));
    let intervals = byGroup.get(k);
    if (!intervals) byGroup.set(k, (intervals = new Map()));
    intervals.set(Number(row.ts) * 1000, {
      queued: Number(row.queued), handle_ms: Number(row.handle_ms), wrapups: Number(row.wrapups),
      abandoned_all: Number(row.abandoned_all), answered_wait_ms: Number(row.answered_wait_ms), abandoned_wait_ms: Number(row.abandoned_wait_ms),
    });
  }
  // the quantities by target (one in practice: a query has one set of options)
  const byTarget = new Map<string, { target: StaffingTarget; measures: [StaffingMeasure, string][] }>();
  for (const [qk, x] of wanted) {
    const tk = JSON.stringify([x.slThresholdS, x.slTarget, x.maxOccupancy, x.shrinkage]);
    let e = byTarget.get(tk);
    if (!e) byTarget.set(tk, (e = { target: { slThresholdS: x.slThresholdS, slTarget: x.slTarget, maxOccupancy: x.maxOccupancy, shrinkage: x.shrinkage }, measures: [] }));
    e.measures.push([x.measure, qk]);
  }
  const starts = spans.map(([from, to]) => {
    const list: number[] = [];
    for (let s = from; s < to; s += STAFFING_INTERVAL_MS) list.push(s);
    return list;
  });
  for (const [k, intervals] of byGroup) {
    let byTs = out.get(k);
    if (!byTs) out.set(k, (byTs = new Map()));
    for (let wi = 0; wi < spans.length; wi++) {
      let values = byTs.get(spans[wi]![0]);
      if (!values) byTs.set(spans[wi]![0], (values = new Map()));
      for (const { target, measures } of byTarget.values()) {
        const got = windowStaffing(starts[wi]!, (s) => intervals.get(s), measures.map(([m]) => m), target);
        for (const [m, qk] of measures) values.set(qk, got.get(m)!);
      }
    }
  }
}

/** Keys of the window-length quantity, filled by the reader per window. */
export const WINDOW_MS_KEY = quantityKey({ kind: 'windowMs' });
