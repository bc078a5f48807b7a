import type { ClickHouseClient } from '@clickhouse/client';
import { DEFAULT_OPTIONS, KPI_BY_ID, windowStart } from '@switchboard/kpi';
import { readKpis } from '@switchboard/warehouse';

const COLUMNS = [
  { id: 'offered', label: 'offered', fmt: (v: number) => String(v) },
  { id: 'answered', label: 'answered', fmt: (v: number) => String(v) },
  { id: 'abandonment_rate', label: 'aband%', fmt: (v: number) => (100 * v).toFixed(1) },
  { id: 'service_level', label: 'SL20%', fmt: (v: number) => (100 * v).toFixed(1) },
  // the contacts queued while the queue was open (docs/business-hours.md)
  { id: 'service_level_in_hours', label: 'SLin%', fmt: (v: number) => (100 * v).toFixed(1) },
  { id: 'asa_ms', label: 'ASA s', fmt: (v: number) => (v / 1000).toFixed(1) },
  { id: 'aht_ms', label: 'AHT s', fmt: (v: number) => (v / 1000).toFixed(0) },
  { id: 'csat', label: 'CSAT%', fmt: (v: number) => (100 * v).toFixed(0) },
  { id: 'nps', label: 'NPS', fmt: (v: number) => v.toFixed(0) },
  // tickets: first reply in business minutes, and replies/resolutions that missed their SLA policy
  { id: 'frt_bh_ms', label: 'FRTbh m', fmt: (v: number) => (v / 60_000).toFixed(1) },
  { id: 'sla_breaches', label: 'SLA miss', fmt: (v: number) => String(v) },
  // staffing of the quarter hour: agents logged in on average against Erlang C's requirement (docs/staffing.md)
  { id: 'agents_staffed', label: 'agents', fmt: (v: number) => v.toFixed(1) },
  { id: 'agents_required', label: 'needed', fmt: (v: number) => v.toFixed(0) },
] as const;

/** The current quarter-hour per queue, as a supervisor's wallboard would show it. */
export async function renderLiveTable(client: ClickHouseClient, tenant: string, now = Date.now()): Promise<string> {
  const from = windowStart(now, '15m');
  const series = await readKpis(client, tenant, {
    kpis: COLUMNS.map((c) => KPI_BY_ID.get(c.id)!),
    from,
    to: from + 15 * 60_000,
    granularity: '15m',
    groupBy: ['queue_id'],
    filters: {},
    options: DEFAULT_OPTIONS,
  });
  const header = ['queue', ...COLUMNS.map((c) => c.label)];
  const rows = series.map((s) => {
    const p = s.points[0]!;
    return [String(s.group.queue_id ?? '(none)'), ...COLUMNS.map((c) => (typeof p[c.id] === 'number' ? c.fmt(p[c.id] as number) : '–'))];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const title = `tenant ${tenant} · window ${new Date(from).toISOString().slice(11, 16)}–${new Date(from + 15 * 60_000).toISOString().slice(11, 16)} UTC`;
  return [title, line(header), ...rows.map(line), rows.length === 0 ? '(no contacts yet in this window)' : ''].join('\n');
}
