import type { ContactEvent } from '@switchboard/events';
import { AGGREGATE_COLUMNS, DIMENSIONS, dimValue, emptyMeasures, foldEvent, windowStart, type FoldContext, type Measures } from '@switchboard/kpi';

export interface AggregateRow {
  tenant_id: string;
  /** window start, epoch ms */
  bucket: number;
  dims: Record<(typeof DIMENSIONS)[number], string>;
  measures: Measures;
}

/**
 * Folds events into 1-minute rows by (tenant, event-time window, dimensions). Deterministic for
 * a given event order. `keyDims`: the dimensions that key a row (all of them by default; the
 * kpi_queue_* tables' rows are keyed by every dimension but the agent, which is then '').
 * `context`: the tenants' calendars and SLA policies the business-time and SLA measures are
 * taken with (none: every queue 24/7, no SLA; docs/business-hours.md).
 */
export function aggregateMinuteRows(events: Iterable<ContactEvent>, keyDims: readonly (typeof DIMENSIONS)[number][] = DIMENSIONS, context?: FoldContext): AggregateRow[] {
  const rows = new Map<string, AggregateRow>();
  for (const e of events) {
    const bucket = windowStart(e.occurred_at, '1m');
    let key = `${e.tenant_id}\u0001${bucket}`;
    for (const d of keyDims) key += `\u0001${dimValue(e, d)}`;
    let row = rows.get(key);
    if (!row) {
      const dims = {} as AggregateRow['dims'];
      for (const d of DIMENSIONS) dims[d] = keyDims.includes(d) ? dimValue(e, d) : '';
      row = { tenant_id: e.tenant_id, bucket, dims, measures: emptyMeasures() };
      rows.set(key, row);
    }
    foldEvent(row.measures, e, context);
  }
  return [...rows.values()];
}

/** The JSONEachRow shape of the kpi_agg_<grain> tables: DateTime as epoch seconds, wait maps as objects. */
export function toInsertRow(r: AggregateRow): Record<string, unknown> {
  const out: Record<string, unknown> = { tenant_id: r.tenant_id, bucket: r.bucket / 1000, ...r.dims };
  for (const c of AGGREGATE_COLUMNS) {
    const v = r.measures[c.name];
    out[c.name] = v instanceof Map ? Object.fromEntries(v) : v;
  }
  return out;
}
