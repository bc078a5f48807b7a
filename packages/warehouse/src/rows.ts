import type { ContactEvent } from '@switchboard/events';
import { AGGREGATE_COLUMNS, DIMENSIONS, NO_BUSINESS_CONFIG, dimValue, emptyMeasures, foldEventByMinute, type FoldContext, type Measures } from '@switchboard/kpi';

export interface AggregateRow {
  tenant_id: string;
  /** window start, epoch ms */
  bucket: number;
  dims: Record<(typeof DIMENSIONS)[number], string>;
  measures: Measures;
  /**
   * Only agent state time was folded into it (the minutes a state spanned, foldEventByMinute):
   * written to the narrow state-time table of an agent grain (STORED_TABLES' `split`).
   */
  stateOnly?: boolean;
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
  // rows by tenant and dimensions, then by minute: an agent state's pieces look up their
  // minutes by number under one key built per event; `out` keeps the order rows were made in
  const byKey = new Map<string, Map<number, AggregateRow>>();
  const out: AggregateRow[] = [];
  // the event being folded, its rows by minute, and its dimension values (built for its first
  // new row and shared by its others, never written to)
  let e!: ContactEvent;
  let minutes!: Map<number, AggregateRow>;
  let dims: AggregateRow['dims'] | null = null;
  let stateOnly = false;
  const rowAt = (bucket: number): Measures => {
    let row = minutes.get(bucket);
    if (!row) {
      if (!dims) {
        dims = {} as AggregateRow['dims'];
        for (const d of DIMENSIONS) dims[d] = keyDims.includes(d) ? dimValue(e, d) : '';
      }
      row = { tenant_id: e.tenant_id, bucket, dims, measures: emptyMeasures(), stateOnly };
      minutes.set(bucket, row);
      out.push(row);
    } else if (!stateOnly) {
      row.stateOnly = false;
    }
    return row.measures;
  };
  for (const event of events) {
    e = event;
    dims = null;
    stateOnly = e.type === 'agent_state_changed';
    let key = e.tenant_id;
    for (const d of keyDims) key += `\u0001${dimValue(e, d)}`;
    let m = byKey.get(key);
    if (!m) byKey.set(key, (m = new Map()));
    minutes = m;
    // an agent state's time lands in the minutes it spanned, older ones included: they are
    // rows of this batch like any other, written under its one token (kpi-writer.ts)
    foldEventByMinute(e, rowAt, context);
  }
  return out;
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
