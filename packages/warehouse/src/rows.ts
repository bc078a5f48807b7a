import type { ContactEvent } from '@switchboard/events';
import { AGGREGATE_COLUMNS, DIMENSIONS, NO_BUSINESS_CONFIG, dimValue, emptyMeasures, foldEventByMinute, type FoldContext, type Measures } from '@switchboard/kpi';

export interface AggregateRow {
  tenant_id: string;
  /** window start, epoch ms */
  bucket: number;
  dims: Record<(typeof DIMENSIONS)[number], string>;
  measures: Measures;
}

/**
 * Folds events into 1-minute rows by (tenant, event-time window, dimensions), an agent state's
 * time split across the minutes it spanned (foldEventByMinute). Deterministic for a given
 * event order. `keyDims`: the dimensions that key a row (all of them by default; the
 * kpi_queue_* tables' rows are keyed by every dimension but the agent, which is then '').
 * `context`: the calendars and SLA policies business-time and SLA measures are taken with.
 */
export function aggregateMinuteRows(
  events: Iterable<ContactEvent>,
  keyDims: readonly (typeof DIMENSIONS)[number][] = DIMENSIONS,
  context: FoldContext = NO_BUSINESS_CONFIG,
): AggregateRow[] {
  const rows = new Map<string, AggregateRow>();
  // the event being folded and its key after the bucket; rowAt gives its row of a minute
  let e!: ContactEvent;
  let dimKey = '';
  // the event's dimension values, built for its first new row and shared by its others (never written to)
  let dims: AggregateRow['dims'] | null = null;
  const rowAt = (bucket: number): Measures => {
    const key = `${e.tenant_id}\u0001${bucket}${dimKey}`;
    let row = rows.get(key);
    if (!row) {
      if (!dims) {
        dims = {} as AggregateRow['dims'];
        for (const d of DIMENSIONS) dims[d] = keyDims.includes(d) ? dimValue(e, d) : '';
      }
      row = { tenant_id: e.tenant_id, bucket, dims, measures: emptyMeasures() };
      rows.set(key, row);
    }
    return row.measures;
  };
  for (const event of events) {
    e = event;
    dims = null;
    dimKey = '';
    for (const d of keyDims) dimKey += `\u0001${dimValue(e, d)}`;
    // an agent state's time lands in the minutes it spanned, older ones included: they are
    // rows of this batch like any other, written under its one token (kpi-writer.ts)
    foldEventByMinute(e, rowAt, context);
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
