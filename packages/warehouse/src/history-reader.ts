import type { ClickHouseClient } from '@clickhouse/client';
import type { Dimension, Quantity } from '@switchboard/kpi';
import type { HistoryRead, HistoryValues } from './history-types';
import { filterConditions } from './filter-sql';
import { readStaffing } from './staffing-reader';

export type { HistoryRead, HistoryValues } from './history-types';

const DAY = 86_400_000;

const groupKey = (dims: Dimension[], r: Record<string, unknown>) => JSON.stringify(dims.map((d) => String(r[d] ?? '')));

function put(out: HistoryValues, key: string, ts: number, qk: string, v: number): void {
  let byTs = out.get(key);
  if (!byTs) out.set(key, (byTs = new Map()));
  let values = byTs.get(ts);
  if (!values) byTs.set(ts, (values = new Map()));
  values.set(qk, (values.get(qk) ?? 0) + v);
}

/**
 * Running totals (the backlog): Σ of a column over everything before the first window, read
 * from whole days of the source's day table and the minutes of the day the range starts in, plus the
 * window-by-window sums inside the range, accumulated in order.
 */
async function runningTotals(client: ClickHouseClient, r: HistoryRead, out: HistoryValues): Promise<void> {
  const totals = [...r.quantities].filter(([, x]) => x.kind === 'runningTotal') as [string, Extract<Quantity, { kind: 'runningTotal' }>][];
  if (totals.length === 0) return;
  const dims = r.q.groupBy;
  const first = r.windows[0]!;
  const day = Math.floor(first / DAY) * DAY;
  const dimSel = dims.map((d) => `, ${d}`).join('');
  const params: Record<string, unknown> = { tenant: r.tenant, day: day / 1000, first: first / 1000, end: r.end / 1000 };
  const filters = filterConditions(r.q.filters, params).map((w) => ` AND ${w}`).join('');
  const cols = [...new Set(totals.map(([, x]) => x.column))];
  const inner = ['tenant_id', ...dims, ...cols].join(', ');
  const sums = totals.map(([, x], i) => `sum(${x.column}) AS t${i}`).join(', ');
  const prefixSql = `
    SELECT 0 AS ts${dimSel}, ${sums} FROM (
      SELECT ${inner} FROM ${r.source.history.days} WHERE tenant_id = {tenant:String} AND bucket < toDateTime({day:UInt32})${filters}
      UNION ALL
      SELECT ${inner} FROM ${r.source.history.minutes} WHERE tenant_id = {tenant:String} AND bucket >= toDateTime({day:UInt32}) AND bucket < toDateTime({first:UInt32})${filters}
    ) GROUP BY ts${dimSel}`;
  // in the range: per window of the query's grain (the windows are aligned to it)
  const rangeSql = `
    SELECT ${r.merged ? '{first:UInt32}' : r.source.ts('bucket')} AS ts${dimSel}, ${sums} FROM ${r.source.table}
    WHERE tenant_id = {tenant:String} AND bucket >= toDateTime({first:UInt32}) AND bucket < toDateTime({end:UInt32})${filters}
    GROUP BY ts${dimSel}`;
  const [prefix, range] = await Promise.all([prefixSql, rangeSql].map(async (query) => {
    const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
    return rs.json<Record<string, unknown>>();
  }));
  const start = new Map<string, number[]>();
  for (const row of prefix!) start.set(groupKey(dims, row), totals.map((_, i) => Number(row[`t${i}`])));
  const deltas = new Map<string, Map<number, number[]>>();
  for (const row of range!) {
    const k = groupKey(dims, row);
    if (!deltas.has(k)) deltas.set(k, new Map());
    deltas.get(k)!.set(Number(row.ts) * 1000, totals.map((_, i) => Number(row[`t${i}`])));
  }
  for (const k of new Set([...start.keys(), ...deltas.keys()])) {
    const acc = [...(start.get(k) ?? totals.map(() => 0))];
    for (const w of r.windows) {
      const d = deltas.get(k)?.get(w);
      if (d) d.forEach((v, i) => (acc[i]! += v));
      totals.forEach(([qk], i) => put(out, k, w, qk, acc[i]!));
    }
  }
}

/**
 * FCR: the window's resolutions with a customer, each paired with the same customer's
 * openings on the same topic (any queue, any agent) in the FCR window after it.
 */
async function fcr(client: ClickHouseClient, r: HistoryRead, out: HistoryValues): Promise<void> {
  const wanted = [...r.quantities].filter(([, x]) => x.kind === 'fcrResolved' || x.kind === 'fcrRepeats');
  if (wanted.length === 0) return;
  const windowMs = r.q.options.fcr_window;
  const dims = r.q.groupBy;
  const first = r.windows[0]!;
  const params: Record<string, unknown> = { tenant: r.tenant, first: first / 1000, end: r.end / 1000, w: windowMs };
  const filters = filterConditions(r.q.filters, params).map((w) => ` AND ${w}`).join('');
  const bucket = r.merged ? '{first:UInt32}' : r.source.ts('r.at');
  const sql = `
    SELECT ${bucket} AS ts${dims.map((d) => `, r.${d} AS g_${d}`).join('')},
           count() AS resolved,
           countIf(arrayExists(o -> o.1 > r.at AND o.1 <= r.at + toIntervalMillisecond({w:UInt64}) AND o.2 != r.contact_id, opens)) AS repeats
    FROM (
      SELECT * FROM fcr_facts
      WHERE tenant_id = {tenant:String} AND kind = 'resolved'
        AND at >= toDateTime64({first:UInt32}, 3) AND at < toDateTime64({end:UInt32}, 3)${filters}
    ) AS r
    LEFT JOIN (
      SELECT customer_id, topic, groupArray((at, contact_id)) AS opens FROM fcr_facts
      WHERE tenant_id = {tenant:String} AND kind = 'opened'
        AND at > toDateTime64({first:UInt32}, 3) AND at <= toDateTime64({end:UInt32}, 3) + toIntervalMillisecond({w:UInt64})
      GROUP BY customer_id, topic
    ) AS o ON r.customer_id = o.customer_id AND r.topic = o.topic
    GROUP BY ts${dims.map((d) => `, g_${d}`).join('')}`;
  const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  for (const row of await rs.json<Record<string, unknown>>()) {
    const k = JSON.stringify(dims.map((d) => String(row[`g_${d}`] ?? '')));
    for (const [qk, x] of wanted) put(out, k, Number(row.ts) * 1000, qk, Number(x.kind === 'fcrResolved' ? row.resolved : row.repeats));
  }
}

/** The history quantities of a query, per group and window; absent values are 0. */
export async function readHistory(client: ClickHouseClient, r: HistoryRead): Promise<HistoryValues> {
  const out: HistoryValues = new Map();
  if (r.quantities.size === 0) return out;
  await Promise.all([runningTotals(client, r, out), fcr(client, r, out), readStaffing(client, r, out)]);
  return out;
}
